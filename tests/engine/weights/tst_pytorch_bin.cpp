// pytorch_model.bin: files torch.save wrote (committed, made by data/make_fixtures.py with
// Debian's PyTorch 1.13), round trips through our writer (every dtype, tied weights stored
// once, views with offsets and strides), zero-copy reading, and the legacy format's refusal.
#include "engine/engine_test.h"

#include "engine/weights/pytorch_bin.h"
#include "weights_fixtures.h"

using namespace fmw::weights;

namespace {

// The values make_fixtures.py's dtypes_dict() writes.
TensorMap expectedDtypes()
{
    std::vector<float> f32, f16, bf16;
    for (int i = 0; i < 12; ++i)
        f32.push_back(static_cast<float>((i * 37 % 101) / 8.0 - 6));
    for (int i = 0; i < 6; ++i)
        f16.push_back(static_cast<float>((i * 13 % 29) / 4.0 - 3));
    for (int i = 0; i < 5; ++i)
        bf16.push_back(static_cast<float>((i * 7 % 17) / 2.0 - 4));
    std::vector<double> f64;
    for (int i = 0; i < 3; ++i)
        f64.push_back(0.1 * i - 0.25);
    TensorMap m;
    m["f32"] = torch::tensor(f32).reshape({3, 4});
    m["f16"] = torch::tensor(f16).reshape({2, 3}).to(torch::kFloat16);
    m["bf16"] = torch::tensor(bf16).to(torch::kBFloat16);
    m["f64"] = torch::tensor(f64, torch::kFloat64);
    m["i64"] = torch::tensor({-(int64_t(1) << 40), int64_t(-1), int64_t(0), int64_t(7), int64_t(1) << 62});
    m["i32"] = torch::tensor({-5, 3, 2147483647}, torch::kInt32);
    m["i16"] = torch::tensor({-30000, 30000}, torch::kInt16);
    m["i8"] = torch::tensor({-128, 127}, torch::kInt8);
    m["u8"] = torch::tensor({0, 1, 255}, torch::kUInt8);
    m["bool"] = torch::tensor({1, 0, 1}, torch::kUInt8).to(torch::kBool);
    m["scalar"] = torch::tensor(3.5f);
    m["empty"] = torch::zeros({0, 4});
    return m;
}

std::string mismatch(const TensorMap &want, const TensorMap &got)
{
    if (want.size() != got.size())
        return "key count " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
    for (const auto &[name, t] : want) {
        const auto it = got.find(name);
        if (it == got.end())
            return "missing " + name;
        if (it->second.scalar_type() != t.scalar_type())
            return "dtype of " + name;
        if (it->second.sizes() != t.sizes() || !torch::equal(it->second, t))
            return "values of " + name;
    }
    return {};
}

bool sameStorage(const at::Tensor &a, const at::Tensor &b)
{
    return a.storage().unsafeGetStorageImpl() == b.storage().unsafeGetStorageImpl();
}

std::string errorText(const fmw::Error &e)
{
    return e.toString();
}

} // namespace

class TestPytorchBin : public QObject {
    Q_OBJECT
private slots:
    void torchSaveFilesRead();
    void tiedWeightsAndViewsFromTorchSave();
    void roundTripAllDtypes();
    void roundTripKeepsSharingAndViews();
    void storagesAreMappedNotCopied();
    void legacyFormatIsRefused();
    void writerRefusesWhatItCannotWrite();
};

void TestPytorchBin::torchSaveFilesRead()
{
    // Protocol 2 (torch.save's default), protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL) and a zip
    // whose records are deflated (read through miniz instead of the mapping).
    for (const char *name : {"state_dict_dtypes.bin", "protocol4.bin", "compressed.bin"}) {
        const auto read = readPytorchBin(weightstest::dataFile(name));
        QVERIFY2(read.ok(), (std::string(name) + ": " + (read.ok() ? "" : errorText(read.error()))).c_str());
        const std::string diff = mismatch(expectedDtypes(), read->tensors);
        QVERIFY2(diff.empty(), (std::string(name) + ": " + diff).c_str());
    }
}

void TestPytorchBin::tiedWeightsAndViewsFromTorchSave()
{
    const auto read = readPytorchBin(weightstest::dataFile("tied_views.bin"));
    QVERIFY2(read.ok(), read.ok() ? "" : errorText(read.error()).c_str());
    const TensorMap &t = read->tensors;
    QCOMPARE(t.size(), size_t(7));
    const auto base = torch::arange(20, torch::kFloat32).reshape({4, 5}) * 0.5;
    // Three names, one storage, as torch.save stored the tied weight once.
    for (const char *name : {"shared.weight", "lm_head.weight", "embed_tokens.weight"}) {
        QVERIFY2(torch::equal(t.at(name), base), name);
        QVERIFY2(sameStorage(t.at(name), t.at("shared.weight")), name);
    }
    // Views keep their storage offset and strides.
    const at::Tensor transposed = t.at("transposed");
    QVERIFY(transposed.sizes().vec() == std::vector<int64_t>({5, 4}));
    QVERIFY(transposed.strides().vec() == std::vector<int64_t>({1, 5}));
    QVERIFY(sameStorage(transposed, t.at("shared.weight")));
    QVERIFY(torch::equal(transposed, base.t()));
    QCOMPARE(t.at("row_slice").storage_offset(), int64_t(10));
    QVERIFY(torch::equal(t.at("row_slice"), base.slice(0, 2)));
    QCOMPARE(t.at("column").storage_offset(), int64_t(3));
    QVERIFY(t.at("column").strides().vec() == std::vector<int64_t>({5}));
    QVERIFY(torch::equal(t.at("column"), base.select(1, 3)));
    // nn.Parameter (_rebuild_parameter) loads as its data.
    QVERIFY(torch::equal(t.at("param"), torch::tensor({1.5f, -2.5f})));
    QVERIFY(!sameStorage(t.at("param"), t.at("shared.weight")));
}

void TestPytorchBin::roundTripAllDtypes()
{
    weightstest::TempDir dir;
    const std::string path = dir.file("pytorch_model.bin");
    const TensorMap tensors = expectedDtypes();
    const auto written = writePytorchBin(path, tensors);
    QVERIFY2(written.ok(), written.ok() ? "" : errorText(written.error()).c_str());
    const auto read = readPytorchBin(path);
    QVERIFY2(read.ok(), read.ok() ? "" : errorText(read.error()).c_str());
    const std::string diff = mismatch(tensors, read->tensors);
    QVERIFY2(diff.empty(), diff.c_str());
    // The in-memory serialization is the same archive.
    const auto bytes = serializePytorchBin(tensors);
    QVERIFY(bytes.ok());
    QVERIFY(bytes.value() == weightstest::readFile(path));
    QVERIFY(weightstest::listFolder(dir.path()) == std::vector<std::string>{"pytorch_model.bin"});
}

void TestPytorchBin::roundTripKeepsSharingAndViews()
{
    const auto embedding = torch::randn({300, 64});
    const auto base = torch::arange(20, torch::kFloat32).reshape({4, 5});
    const TensorMap tensors = {
        {"shared.weight", embedding},
        {"lm_head.weight", embedding},
        {"transposed", base.t()},
        {"row_slice", base.slice(0, 2)},
        {"column", base.select(1, 3)},
        {"expanded", torch::tensor({1.0f, 2.0f}).expand({3, 2})},
        {"half_view", torch::arange(8, torch::kFloat32).to(torch::kFloat16).slice(0, 3, 7, 2)},
    };
    const auto bytes = serializePytorchBin(tensors);
    QVERIFY(bytes.ok());
    // The tied embedding is stored once: the archive is far smaller than two copies.
    QVERIFY2(bytes->size() < size_t(300 * 64 * 4 * 3 / 2), std::to_string(bytes->size()).c_str());
    const auto read = readPytorchBin(MappedFile::fromBytes(bytes.value(), "views.bin"));
    QVERIFY2(read.ok(), read.ok() ? "" : errorText(read.error()).c_str());
    for (const auto &[name, t] : tensors) {
        const at::Tensor &r = read->tensors.at(name);
        QVERIFY2(torch::equal(r, t), name.c_str());
        QVERIFY2(r.strides() == t.strides(), name.c_str());
        QVERIFY2(r.storage_offset() == t.storage_offset(), name.c_str());
    }
    QVERIFY(sameStorage(read->tensors.at("shared.weight"), read->tensors.at("lm_head.weight")));
    QVERIFY(sameStorage(read->tensors.at("transposed"), read->tensors.at("column")));
    QVERIFY(!sameStorage(read->tensors.at("transposed"), read->tensors.at("shared.weight")));
}

void TestPytorchBin::storagesAreMappedNotCopied()
{
    weightstest::TempDir dir;
    const std::string path = dir.file("m.bin");
    QVERIFY(writePytorchBin(path, {{"a", torch::arange(4096, torch::kFloat32)}}).ok());
    at::Tensor a;
    {
        auto file = MappedFile::open(path);
        QVERIFY(file.ok());
        const uint8_t *begin = file.value()->data();
        const uint8_t *end = begin + file.value()->size();
        auto read = readPytorchBin(file.value());
        QVERIFY(read.ok());
        a = read->tensors.at("a");
        const auto *p = static_cast<const uint8_t *>(a.data_ptr());
        QVERIFY(p >= begin && p + 4096 * 4 <= end);
        // PyTorchStreamWriter aligns records to 64 bytes.
        QCOMPARE((p - begin) % 64, std::ptrdiff_t(0));
    }
    QVERIFY(torch::equal(a, torch::arange(4096, torch::kFloat32)));
    // torch.save streams its records (sizes in a data descriptor after the data): mapped too.
    // Deflated records cannot be: they are inflated into memory of their own.
    for (const char *name : {"state_dict_dtypes.bin", "compressed.bin"}) {
        auto file = MappedFile::open(weightstest::dataFile(name));
        QVERIFY(file.ok());
        const uint8_t *begin = file.value()->data();
        const uint8_t *end = begin + file.value()->size();
        auto read = readPytorchBin(file.value());
        QVERIFY(read.ok());
        const auto *p = static_cast<const uint8_t *>(read->tensors.at("f32").data_ptr());
        const bool mapped = p >= begin && p < end;
        QVERIFY2(mapped == (std::string(name) == "state_dict_dtypes.bin"), name);
    }
    const std::string before = weightstest::readFile(path);
    a.add_(1);
    QCOMPARE(a[0].item<float>(), 1.0f);
    QVERIFY(weightstest::readFile(path) == before);
}

void TestPytorchBin::legacyFormatIsRefused()
{
    const auto read = readPytorchBin(weightstest::dataFile("legacy.bin"));
    QVERIFY(!read.ok());
    QVERIFY(read.error().code == fmw::ErrorCode::Unsupported);
    const std::string text = errorText(read.error());
    QVERIFY2(text.find("legacy") != std::string::npos, text.c_str());
    QVERIFY2(text.find("legacy.bin") != std::string::npos, text.c_str());
    QVERIFY2(text.find("safetensors") != std::string::npos, text.c_str());
}

void TestPytorchBin::writerRefusesWhatItCannotWrite()
{
    weightstest::TempDir dir;
    const std::string path = dir.file("x.bin");
    QVERIFY(writePytorchBin(path, {{"ok", torch::ones({2})}}).ok());
    const std::string before = weightstest::readFile(path);
    const auto complex = writePytorchBin(path, {{"z", torch::ones({2}, torch::kComplexFloat)}});
    QVERIFY(!complex.ok());
    QVERIFY2(complex.error().message.find("'z'") != std::string::npos, complex.error().message.c_str());
    const auto undefined = writePytorchBin(path, {{"u", at::Tensor()}});
    QVERIFY(!undefined.ok());
    QVERIFY2(undefined.error().message.find("'u'") != std::string::npos, undefined.error().message.c_str());
    const auto floats = torch::ones({4});
    const auto mixed = serializePytorchBin({{"f", floats}, {"i", floats.view(torch::kInt32)}});
    QVERIFY(!mixed.ok());
    // Nothing replaced the good file, and no temporary file is left behind.
    QVERIFY(weightstest::readFile(path) == before);
    QVERIFY(weightstest::listFolder(dir.path()) == std::vector<std::string>{"x.bin"});
}

FMW_TEST_MAIN(TestPytorchBin, torchSaveFilesRead, tiedWeightsAndViewsFromTorchSave, roundTripAllDtypes,
              roundTripKeepsSharingAndViews, storagesAreMappedNotCopied, legacyFormatIsRefused,
              writerRefusesWhatItCannotWrite)
#ifdef FMW_HAVE_QTTEST
#include "tst_pytorch_bin.moc"
#endif
