// safetensors: round trips of every dtype, upstream's layout, zero-copy mapping, the tiny
// Florence-2 fixture, and header forms upstream accepts (unsorted entries, odd alignment).
#include "engine/engine_test.h"

#include "engine/weights/safetensors.h"
#include "weights_fixtures.h"

#include <nlohmann/json.hpp>

using namespace fmw::weights;

namespace {

// One tensor of every dtype, plus a 0-d and an empty one.
TensorMap allDtypes()
{
    TensorMap m;
    m["f64"] = torch::tensor({0.1, -2.5, 1e300}, torch::kFloat64);
    m["f32"] = torch::arange(12, torch::kFloat32).reshape({3, 4}) * 0.25 - 1;
    m["f16"] = (torch::arange(6, torch::kFloat32).reshape({2, 3}) * 0.5 - 1).to(torch::kFloat16);
    m["bf16"] = (torch::arange(5, torch::kFloat32) * 1.5 - 3).to(torch::kBFloat16);
    m["i64"] = torch::tensor({-(int64_t(1) << 40), int64_t(7), int64_t(1) << 62}, torch::kInt64);
    m["i32"] = torch::tensor({-5, 3, 2147483647}, torch::kInt32);
    m["i16"] = torch::tensor({-30000, 30000}, torch::kInt16);
    m["i8"] = torch::tensor({-128, 127}, torch::kInt8);
    m["u8"] = torch::tensor({0, 1, 255}, torch::kUInt8);
    m["bool"] = torch::tensor({1, 0, 1}, torch::kUInt8).to(torch::kBool);
    m["scalar"] = torch::tensor(3.5f);
    m["empty"] = torch::zeros({0, 4});
    return m;
}

std::string mismatch(const TensorMap &a, const TensorMap &b)
{
    if (a.size() != b.size())
        return "key count " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    for (const auto &[name, t] : a) {
        const auto it = b.find(name);
        if (it == b.end())
            return "missing " + name;
        if (it->second.scalar_type() != t.scalar_type() || it->second.sizes() != t.sizes() ||
            !torch::equal(it->second, t))
            return "differs: " + name;
    }
    return {};
}

uint64_t headerLength(const std::string &bytes)
{
    uint64_t n = 0;
    for (int k = 7; k >= 0; --k)
        n = (n << 8) | static_cast<uint8_t>(bytes[k]);
    return n;
}

std::string withHeader(const std::string &json, const std::string &data)
{
    std::string out(8, '\0');
    for (int k = 0; k < 8; ++k)
        out[k] = static_cast<char>((uint64_t(json.size()) >> (8 * k)) & 0xff);
    return out + json + data;
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private slots:
    void roundTripAllDtypes();
    void layoutFollowsUpstream();
    void tensorsViewTheMappedFile();
    void viewsAreWrittenContiguous();
    void unsortedHeaderIsAccepted();
    void misalignedTensorIsCopied();
    void tinyFixtureLoads();
    void goldenFixtureLoads();
    void writeIsAtomic();
};

void TestSafetensors::roundTripAllDtypes()
{
    weightstest::TempDir dir;
    const TensorMap tensors = allDtypes();
    const Metadata metadata = {{"format", "pt"}, {"note", "round trip"}};
    const std::string path = dir.file("all.safetensors");
    const auto written = writeSafetensors(path, tensors, metadata);
    QVERIFY2(written.ok(), written.ok() ? "" : written.error().toString().c_str());
    const auto read = readSafetensors(path);
    QVERIFY2(read.ok(), read.ok() ? "" : read.error().toString().c_str());
    const std::string diff = mismatch(tensors, read->tensors);
    QVERIFY2(diff.empty(), diff.c_str());
    QVERIFY(read->metadata == metadata);
    // In memory as well, and the same bytes as the file.
    const auto bytes = serializeSafetensors(tensors, metadata);
    QVERIFY(bytes.ok());
    QVERIFY(bytes.value() == weightstest::readFile(path));
}

void TestSafetensors::layoutFollowsUpstream()
{
    const auto bytes = serializeSafetensors(allDtypes(), {{"format", "pt"}});
    QVERIFY(bytes.ok());
    const uint64_t n = headerLength(bytes.value());
    QCOMPARE(n % 8, uint64_t(0));
    const std::string header = bytes->substr(8, n);
    // JSON, then space padding only.
    QCOMPARE(header[header.find_last_not_of(' ')], '}');
    const auto json = nlohmann::ordered_json::parse(header);
    // __metadata__ first, then wider dtypes first (upstream's Dtype order), names ascending.
    std::vector<std::string> order;
    for (const auto &item : json.items())
        order.push_back(item.key());
    const std::vector<std::string> expected = {"__metadata__", "i64", "f64", "empty", "f32", "scalar", "i32",
                                               "bf16", "f16", "i16", "i8", "u8", "bool"};
    QVERIFY2(order == expected, json.dump().c_str());
    QCOMPARE(json["f32"]["dtype"].get<std::string>(), std::string("F32"));
    QVERIFY(json["f32"]["shape"] == nlohmann::ordered_json({3, 4}));
    QVERIFY(json["scalar"]["shape"] == nlohmann::ordered_json::array());
    QCOMPARE(json["bool"]["dtype"].get<std::string>(), std::string("BOOL"));
    // Offsets tile the data section.
    QCOMPARE(json["i64"]["data_offsets"][0].get<uint64_t>(), uint64_t(0));
    QCOMPARE(json["bool"]["data_offsets"][1].get<uint64_t>(), uint64_t(bytes->size() - 8 - n));
    // No metadata, no __metadata__ entry.
    const auto plain = serializeSafetensors({{"x", torch::ones({2})}});
    QVERIFY(plain.ok());
    QCOMPARE(plain->find("__metadata__"), std::string::npos);
}

void TestSafetensors::tensorsViewTheMappedFile()
{
    weightstest::TempDir dir;
    const std::string path = dir.file("m.safetensors");
    QVERIFY(writeSafetensors(path, {{"a", torch::arange(1024, torch::kFloat32)}}).ok());
    at::Tensor a;
    {
        auto file = MappedFile::open(path);
        QVERIFY(file.ok());
        const uint8_t *begin = file.value()->data();
        const uint8_t *end = begin + file.value()->size();
        auto read = readSafetensors(file.value());
        QVERIFY(read.ok());
        a = read->tensors.at("a");
        // No copy: the tensor's bytes are the mapping's.
        const auto *p = static_cast<const uint8_t *>(a.data_ptr());
        QVERIFY(p >= begin && p + 4096 <= end);
    }
    // The mapping outlives the reader: the tensor keeps it alive.
    QVERIFY(torch::equal(a, torch::arange(1024, torch::kFloat32)));
    // Writing to a tensor copies the page, never the file.
    const std::string before = weightstest::readFile(path);
    a.mul_(2);
    QCOMPARE(a[3].item<float>(), 6.0f);
    QVERIFY(weightstest::readFile(path) == before);
}

void TestSafetensors::viewsAreWrittenContiguous()
{
    const auto base = torch::arange(20, torch::kFloat32).reshape({4, 5});
    const TensorMap views = {{"t", base.t()}, {"slice", base.slice(0, 2)}, {"col", base.select(1, 3)},
                             {"expanded", torch::tensor({1.0f, 2.0f}).expand({3, 2})}};
    const auto bytes = serializeSafetensors(views);
    QVERIFY(bytes.ok());
    const auto read = readSafetensors(MappedFile::fromBytes(bytes.value(), "views.safetensors"));
    QVERIFY2(read.ok(), read.ok() ? "" : read.error().toString().c_str());
    for (const auto &[name, t] : views) {
        QVERIFY2(torch::equal(read->tensors.at(name), t), name.c_str());
        QVERIFY2(read->tensors.at(name).is_contiguous(), name.c_str());
    }
}

void TestSafetensors::unsortedHeaderIsAccepted()
{
    // Upstream sorts entries by offset; the header may list them in any order.
    const std::string header =
        R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":"v"}})";
    std::string data(8, '\0');
    const float a = 1.5f, b = -2.0f;
    std::memcpy(&data[0], &a, 4);
    std::memcpy(&data[4], &b, 4);
    const auto read = readSafetensors(MappedFile::fromBytes(withHeader(header, data), "unsorted.safetensors"));
    QVERIFY2(read.ok(), read.ok() ? "" : read.error().toString().c_str());
    QCOMPARE(read->tensors.at("a").item<float>(), 1.5f);
    QCOMPARE(read->tensors.at("b").item<float>(), -2.0f);
    QCOMPARE(read->metadata.at("k"), std::string("v"));
}

void TestSafetensors::misalignedTensorIsCopied()
{
    // A U8 of 1 byte first puts the F32 at an odd address: it must still read right.
    const std::string header =
        R"({"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}})";
    std::string data(9, '\0');
    data[0] = 7;
    const float f[2] = {0.25f, -8.0f};
    std::memcpy(&data[1], f, 8);
    const auto read = readSafetensors(MappedFile::fromBytes(withHeader(header, data), "odd.safetensors"));
    QVERIFY2(read.ok(), read.ok() ? "" : read.error().toString().c_str());
    const at::Tensor t = read->tensors.at("f");
    QCOMPARE(reinterpret_cast<uintptr_t>(t.data_ptr()) % 4, uintptr_t(0));
    QCOMPARE(t[0].item<float>(), 0.25f);
    QCOMPARE(t[1].item<float>(), -8.0f);
    QCOMPARE(read->tensors.at("u").item<uint8_t>(), uint8_t(7));
}

void TestSafetensors::tinyFixtureLoads()
{
    const auto read = readSafetensors(weightstest::sharedFile("fixtures/florence2-tiny/model.safetensors"));
    QVERIFY2(read.ok(), read.ok() ? "" : read.error().toString().c_str());
    QCOMPARE(read->tensors.size(), size_t(277));
    QCOMPARE(read->metadata.at("format"), std::string("pt"));
    const std::pair<const char *, std::vector<int64_t>> shapes[] = {
        {"image_projection", {96, 64}},
        {"language_model.model.shared.weight", {300, 64}},
        {"language_model.lm_head.weight", {300, 64}},
        {"language_model.final_logits_bias", {1, 300}},
        {"language_model.model.encoder.embed_positions.weight", {66, 64}},
        {"vision_tower.convs.0.proj.weight", {32, 3, 7, 7}},
        {"vision_tower.blocks.3.0.channel_block.channel_attn.fn.qkv.weight", {288, 96}},
        {"visual_temporal_embed.pos_idx_to_embed", {4, 96}},
    };
    for (const auto &[name, shape] : shapes) {
        const auto it = read->tensors.find(name);
        QVERIFY2(it != read->tensors.end(), name);
        QVERIFY2(it->second.sizes().vec() == shape, name);
        QVERIFY2(it->second.scalar_type() == torch::kFloat32, name);
    }
    // The tied embedding is written under every name with identical data.
    QVERIFY(torch::equal(read->tensors.at("language_model.model.shared.weight"),
                         read->tensors.at("language_model.lm_head.weight")));
    // Temporal embedding row 0 is [0, 1, 0, 1, ...].
    const auto row0 = read->tensors.at("visual_temporal_embed.pos_idx_to_embed")[0];
    QCOMPARE(row0[0].item<float>(), 0.0f);
    QCOMPARE(row0[1].item<float>(), 1.0f);
}

void TestSafetensors::goldenFixtureLoads()
{
    const auto read = readSafetensors(weightstest::sharedFile("fixtures/florence2-tiny/golden.safetensors"));
    QVERIFY2(read.ok(), read.ok() ? "" : read.error().toString().c_str());
    const at::Tensor ids = read->tensors.at("gen.greedy_ids");
    QVERIFY(ids.scalar_type() == torch::kInt64);
    QVERIFY(ids.sizes().vec() == std::vector<int64_t>({2, 21}));
    QCOMPARE(ids[0][1].item<int64_t>(), int64_t(236));
    const at::Tensor raw = read->tensors.at("preproc.raw_image_0");
    QVERIFY(raw.scalar_type() == torch::kUInt8);
    QVERIFY(raw.sizes().vec() == std::vector<int64_t>({100, 80, 3}));
    const at::Tensor loss = read->tensors.at("loss");
    QCOMPARE(loss.dim(), int64_t(0));
    QVERIFY(std::abs(loss.item<float>() - 8.963541984558105f) < 1e-6f);
}

void TestSafetensors::writeIsAtomic()
{
    weightstest::TempDir dir;
    const std::string path = dir.file("w.safetensors");
    QVERIFY(writeSafetensors(path, {{"x", torch::ones({3})}}).ok());
    const std::string first = weightstest::readFile(path);
    // A failing write (complex tensors are not supported) leaves the old file and no temp file.
    const auto bad = writeSafetensors(path, {{"z", torch::ones({2}, torch::kComplexFloat)}});
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("'z'") != std::string::npos, bad.error().message.c_str());
    QVERIFY(weightstest::readFile(path) == first);
    QVERIFY(weightstest::listFolder(dir.path()) == std::vector<std::string>{"w.safetensors"});
    // A folder that does not exist: an I/O error naming the path.
    const auto missing = writeSafetensors(dir.file("no/such/x.safetensors"), {{"x", torch::ones({1})}});
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().toString().find("no/such/x.safetensors") != std::string::npos);
    // Replacing works.
    QVERIFY(writeSafetensors(path, {{"y", torch::zeros({2})}}).ok());
    QVERIFY(readSafetensors(path)->tensors.count("y"));
}

FMW_TEST_MAIN(TestSafetensors, roundTripAllDtypes, layoutFollowsUpstream, tensorsViewTheMappedFile,
              viewsAreWrittenContiguous, unsortedHeaderIsAccepted, misalignedTensorIsCopied, tinyFixtureLoads,
              goldenFixtureLoads, writeIsAtomic)
#ifdef FMW_HAVE_QTTEST
#include "tst_safetensors.moc"
#endif
