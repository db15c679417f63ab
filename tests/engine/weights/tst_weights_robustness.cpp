// Hostile and broken weights files: every truncation, bad safetensors headers, pickle opcodes
// and globals a state dict never needs, bad persistent ids, and stack/memo/nesting abuse.
// Each must give a clear error naming the file and the problem; none may crash, execute
// anything or leak (this suite also runs in the address/undefined sanitizer build).
#include "engine/engine_test.h"

#include "engine/weights/pickle_reader.h"
#include "engine/weights/pickle_writer.h"
#include "engine/weights/pytorch_bin.h"
#include "engine/weights/safetensors.h"
#include "weights_fixtures.h"

#include <caffe2/serialize/inline_container.h>

#include <random>

using namespace fmw::weights;

namespace {

bool contains(const std::string &text, const std::string &part)
{
    return text.find(part) != std::string::npos;
}

// Builds pickles opcode by opcode.
class Pickle {
public:
    Pickle &op(uint8_t code)
    {
        m_bytes.push_back(static_cast<char>(code));
        return *this;
    }
    Pickle &raw(const std::string &s)
    {
        m_bytes += s;
        return *this;
    }
    Pickle &u32(uint32_t v)
    {
        for (int k = 0; k < 4; ++k)
            m_bytes.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
        return *this;
    }
    Pickle &proto() { return op(0x80).op(2); }
    Pickle &str(const std::string &s) { return op('X').u32(static_cast<uint32_t>(s.size())).raw(s); }
    Pickle &integer(int32_t v) { return op('J').u32(static_cast<uint32_t>(v)); }
    Pickle &global(const std::string &module, const std::string &name) { return op('c').raw(module + "\n" + name + "\n"); }
    Pickle &ints(const std::vector<int32_t> &v)
    {
        op('(');
        for (int32_t x : v)
            integer(x);
        return op('t');
    }
    Pickle &orderedDict() { return global("collections", "OrderedDict").op(')').op('R'); }
    // One `name: _rebuild_tensor_v2(storage, offset, sizes, strides, False, OrderedDict())` pair.
    Pickle &tensor(const std::string &name, const std::string &storageType, const std::string &key, int32_t numel,
                   int32_t offset, const std::vector<int32_t> &sizes, const std::vector<int32_t> &strides)
    {
        str(name).global("torch._utils", "_rebuild_tensor_v2").op('(');
        op('(').str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).op('t').op('Q');
        integer(offset).ints(sizes).ints(strides).op(0x89).orderedDict();
        return op('t').op('R');
    }
    const std::string &bytes() const { return m_bytes; }

private:
    std::string m_bytes;
};

// A state dict {"w": FloatStorage '0' of 4 floats viewed as [2, 2]}.
std::string goodPickle()
{
    return Pickle().proto().orderedDict().op('(').tensor("w", "FloatStorage", "0", 4, 0, {2, 2}, {2, 1}).op('u').op('.').bytes();
}

std::string archive(const std::string &pickle, const std::vector<std::pair<std::string, std::string>> &records)
{
    std::string out;
    caffe2::serialize::PyTorchStreamWriter writer([&](const void *p, size_t n) {
        out.append(static_cast<const char *>(p), n);
        return n;
    });
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    for (const auto &[name, data] : records)
        writer.writeRecord(name, data.data(), data.size());
    writer.writeEndOfFile();
    return out;
}

std::string floats(int n)
{
    return std::string(static_cast<size_t>(n) * 4, '\0');
}

fmw::Result<TensorFile> readBin(const std::string &bytes, const std::string &name = "evil.bin")
{
    return readPytorchBin(MappedFile::fromBytes(bytes, name));
}

fmw::Result<PickledStateDict> unpickle(const std::string &bytes)
{
    return readStateDictPickle(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(), "evil.bin");
}

std::string safetensorsFile(const std::string &header, const std::string &data)
{
    std::string out(8, '\0');
    for (int k = 0; k < 8; ++k)
        out[k] = static_cast<char>((uint64_t(header.size()) >> (8 * k)) & 0xff);
    return out + header + data;
}

} // namespace

class TestWeightsRobustness : public QObject {
    Q_OBJECT
private slots:
    void safetensorsEveryTruncation();
    void safetensorsBadHeaders();
    void pytorchBinEveryTruncation();
    void pickleEveryTruncation();
    void forbiddenOpcodes();
    void forbiddenGlobals();
    void badPersistentIdsAndViews();
    void stackMemoAndNestingAbuse();
    void garbageFiles();
};

void TestWeightsRobustness::safetensorsEveryTruncation()
{
    const TensorMap tensors = {{"a", torch::randn({2, 3})}, {"b", torch::arange(2)},
                               {"c", torch::ones({3}, torch::kBFloat16)}};
    const std::string bytes = serializeSafetensors(tensors, {{"k", "v"}}).value();
    for (size_t n = 0; n < bytes.size(); ++n) {
        const auto read = readSafetensors(MappedFile::fromBytes(bytes.substr(0, n), "cut.safetensors"));
        const std::string what = "length " + std::to_string(n);
        QVERIFY2(!read.ok(), what.c_str());
        QVERIFY2(contains(read.error().toString(), "cut.safetensors: "), what.c_str());
    }
    QVERIFY(readSafetensors(MappedFile::fromBytes(bytes, "whole.safetensors")).ok());
    // Through a real file as well.
    weightstest::TempDir dir;
    weightstest::writeFile(dir.file("cut.safetensors"), bytes.substr(0, bytes.size() - 1));
    const auto file = readSafetensors(dir.file("cut.safetensors"));
    QVERIFY(!file.ok());
    QVERIFY2(contains(file.error().toString(), "exceed the data section"), file.error().toString().c_str());
}

void TestWeightsRobustness::safetensorsBadHeaders()
{
    auto one = [](const std::string &info) { return "{\"t\":" + info + "}"; };
    const std::string twelve(12, '\0');
    struct Case {
        const char *name;
        std::string bytes;
        const char *expected;
    };
    std::string pastEnd = safetensorsFile(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,12]})"), twelve);
    pastEnd[0] = static_cast<char>(0xff);
    pastEnd[1] = static_cast<char>(0x7f);
    std::string huge = pastEnd;
    for (int k = 0; k < 8; ++k)
        huge[k] = static_cast<char>(0xff);
    std::string ones = "[";
    for (int k = 0; k < 65; ++k)
        ones += k ? ",1" : "1";
    ones += "]";
    const std::vector<Case> cases = {
        {"header length past the end", pastEnd, "runs past the end of the file"},
        {"header length 2^64-1", huge, "runs past the end of the file"},
        {"header not an object", safetensorsFile("[1, 2]  ", ""), "not a JSON object"},
        {"header with leading space", safetensorsFile(" {}     ", ""), "must start with '{'"},
        {"invalid JSON", safetensorsFile("{\"t\": ", ""), "not valid JSON"},
        {"duplicate key",
         safetensorsFile(R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                         "ab"),
         "names 't' twice"},
        {"unknown dtype", safetensorsFile(one(R"({"dtype":"C64","shape":[1],"data_offsets":[0,8]})"), "12345678"),
         "unknown or unsupported dtype \"C64\""},
        {"fp8 dtype", safetensorsFile(one(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})"), "1"),
         "unknown or unsupported dtype"},
        {"negative dimension", safetensorsFile(one(R"({"dtype":"F32","shape":[-1,3],"data_offsets":[0,12]})"), twelve),
         "negative dimension -1"},
        {"fractional dimension", safetensorsFile(one(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), "1234"),
         "not a non-negative integer"},
        {"absurd shape",
         safetensorsFile(one(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,12]})"), twelve),
         "absurd shape"},
        {"65 dimensions", safetensorsFile(one(R"({"dtype":"U8","shape":)" + ones + R"(,"data_offsets":[0,1]})"), "1"),
         "65 dimensions"},
        {"shape vs bytes", safetensorsFile(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,12]})"), twelve),
         "needs 8 bytes"},
        {"offsets out of range",
         safetensorsFile(one(R"({"dtype":"U8","shape":[1000],"data_offsets":[0,1000]})"), twelve),
         "offsets [0, 1000) exceed the data section (12 bytes)"},
        {"offsets end before begin", safetensorsFile(one(R"({"dtype":"U8","shape":[0],"data_offsets":[8,4]})"), twelve),
         "end before they begin"},
        {"overlap",
         safetensorsFile(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})",
                         twelve),
         "overlap"},
        {"hole",
         safetensorsFile(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})",
                         twelve),
         "leave a hole"},
        {"trailing bytes", safetensorsFile(one(R"({"dtype":"U8","shape":[4],"data_offsets":[0,4]})"), twelve),
         "the tensors use 4"},
        {"metadata value not a string",
         safetensorsFile(R"({"__metadata__":{"n":1}})", ""), "__metadata__ value of 'n'"},
        {"metadata not an object", safetensorsFile(R"({"__metadata__":[]})", ""), "__metadata__ is not"},
        {"missing dtype", safetensorsFile(one(R"({"shape":[1],"data_offsets":[0,1]})"), "1"), "no \"dtype\""},
        {"missing offsets", safetensorsFile(one(R"({"dtype":"U8","shape":[1]})"), "1"), "data_offsets"},
        {"description not an object", safetensorsFile(one("7"), ""), "not a JSON object"},
        {"JSON nested a million deep",
         safetensorsFile(one(std::string(1000000, '[') + std::string(1000000, ']')), ""), "not a JSON object"},
        {"JSON opened a million deep", safetensorsFile(one(std::string(1000000, '[')), ""), "not valid JSON"},
    };
    for (const Case &c : cases) {
        const auto read = readSafetensors(MappedFile::fromBytes(c.bytes, "bad.safetensors"));
        QVERIFY2(!read.ok(), c.name);
        const std::string text = read.error().toString();
        QVERIFY2(contains(text, "bad.safetensors: ") && contains(text, c.expected),
                 (std::string(c.name) + ": " + text).c_str());
    }
}

void TestWeightsRobustness::pytorchBinEveryTruncation()
{
    const TensorMap tensors = {{"a", torch::randn({2, 3})}, {"b", torch::arange(3)}};
    const std::string bytes = serializePytorchBin(tensors).value();
    for (size_t n = 0; n < bytes.size(); ++n) {
        const auto read = readBin(bytes.substr(0, n), "cut.bin");
        const std::string what = "length " + std::to_string(n);
        QVERIFY2(!read.ok(), what.c_str());
        QVERIFY2(contains(read.error().toString(), "cut.bin: "), (what + ": " + read.error().toString()).c_str());
    }
    QVERIFY(readBin(bytes).ok());
}

void TestWeightsRobustness::pickleEveryTruncation()
{
    // torch.save's own pickles (protocol 2 with BUILD, protocol 4) and ours, cut everywhere.
    std::vector<std::string> pickles;
    for (const char *name : {"tied_views.bin", "protocol4.bin"}) {
        caffe2::serialize::PyTorchStreamReader reader(weightstest::dataFile(name));
        at::DataPtr data;
        size_t size = 0;
        std::tie(data, size) = reader.getRecord("data.pkl");
        pickles.emplace_back(static_cast<const char *>(data.get()), size);
    }
    pickles.push_back(goodPickle());
    for (const std::string &pickle : pickles) {
        QVERIFY(unpickle(pickle).ok());
        for (size_t n = 0; n < pickle.size(); ++n) {
            const auto read = unpickle(pickle.substr(0, n));
            QVERIFY2(!read.ok(), ("length " + std::to_string(n)).c_str());
            QVERIFY2(contains(read.error().message, "data.pkl byte"), read.error().message.c_str());
        }
    }
    // Inside a well-formed archive: the error names the file.
    const std::string pickle = goodPickle();
    for (size_t n = 0; n < pickle.size(); ++n) {
        const auto read = readBin(archive(pickle.substr(0, n), {{"data/0", floats(4)}}));
        QVERIFY2(!read.ok(), ("length " + std::to_string(n)).c_str());
        QVERIFY2(contains(read.error().toString(), "evil.bin: data.pkl byte"), read.error().toString().c_str());
    }
    QVERIFY(readBin(archive(pickle, {{"data/0", floats(4)}})).ok());
}

void TestWeightsRobustness::forbiddenOpcodes()
{
    const std::pair<uint8_t, const char *> opcodes[] = {
        {'i', "INST"}, {'o', "OBJ"}, {0x81, "NEWOBJ"}, {0x92, "NEWOBJ_EX"}, {0x82, "EXT1"}, {0x83, "EXT2"},
        {0x84, "EXT4"}, {'P', "PERSID"}, {'g', "GET"}, {'p', "PUT"}, {'S', "STRING"}, {'T', "BINSTRING"},
        {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}, {'B', "BINBYTES"}, {'C', "SHORT_BINBYTES"},
        {0x96, "BYTEARRAY8"}, {'F', "FLOAT"}, {'I', "INT"}, {'L', "LONG"}, {0x8b, "LONG4"}, {'d', "DICT"},
        {'l', "LIST"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {0x8f, "EMPTY_SET"}, {0x91, "FROZENSET"},
        {0x90, "ADDITEMS"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}, {0xff, "unknown opcode 0xff"},
        {0x00, "unknown opcode 0x00"},
    };
    for (const auto &[code, name] : opcodes) {
        const std::string pickle = Pickle().proto().orderedDict().op(code).raw("os\nsystem\n").op('.').bytes();
        const auto read = unpickle(pickle);
        QVERIFY2(!read.ok(), name);
        const std::string text = read.error().message;
        QVERIFY2(contains(text, name) && contains(text, "not allowed") && contains(text, "byte 29"),
                 (std::string(name) + ": " + text).c_str());
    }
    const auto inArchive = readBin(archive(Pickle().proto().op('i').raw("os\nsystem\n").bytes(), {}));
    QVERIFY(!inArchive.ok());
    QVERIFY2(contains(inArchive.error().toString(), "evil.bin: data.pkl byte 2: pickle opcode INST (0x69)"),
             inArchive.error().toString().c_str());
}

void TestWeightsRobustness::forbiddenGlobals()
{
    weightstest::TempDir dir;
    const std::string marker = dir.file("pwned");
    const std::pair<const char *, const char *> globals[] = {
        {"os", "system"},         {"builtins", "eval"},      {"builtins", "exec"},
        {"posix", "system"},      {"subprocess", "Popen"},   {"__builtin__", "getattr"},
        {"torch", "load"},        {"torch._utils", "_rebuild_tensor"}, {"collections", "defaultdict"},
        {"numpy.core.multiarray", "_reconstruct"}, {"torch", "FloatTensor"}, {"torch", "Storage"},
    };
    for (const auto &[module, name] : globals) {
        const std::string full = std::string("'") + module + "." + name + "'";
        // The classic exploit: GLOBAL os.system, REDUCE with a shell command.
        const std::string viaGlobal =
            Pickle().proto().global(module, name).str("touch " + marker).op(0x85).op('R').op('.').bytes();
        const std::string viaStack = Pickle()
                                         .op(0x80)
                                         .op(4)
                                         .op(0x8c)
                                         .op(static_cast<uint8_t>(std::strlen(module)))
                                         .raw(module)
                                         .op(0x8c)
                                         .op(static_cast<uint8_t>(std::strlen(name)))
                                         .raw(name)
                                         .op(0x93)
                                         .str("touch " + marker)
                                         .op(0x85)
                                         .op('R')
                                         .op('.')
                                         .bytes();
        for (const std::string &pickle : {viaGlobal, viaStack}) {
            const auto read = readBin(archive(pickle, {}));
            QVERIFY2(!read.ok(), full.c_str());
            const std::string text = read.error().toString();
            QVERIFY2(contains(text, "evil.bin") && contains(text, "global " + full + " is not allowed"),
                     (full + ": " + text).c_str());
        }
    }
    QVERIFY(!weightstest::fileExists(marker));
}

void TestWeightsRobustness::badPersistentIdsAndViews()
{
    struct Case {
        const char *name;
        std::string pickle;
        std::vector<std::pair<std::string, std::string>> records;
        const char *expected;
    };
    auto dict = [](const std::function<void(Pickle &)> &body) {
        Pickle p;
        p.proto().orderedDict().op('(');
        body(p);
        return p.op('u').op('.').bytes();
    };
    const auto storage = [](Pickle &p, const std::string &type, const std::string &key, int32_t numel) {
        p.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t').op('Q');
    };
    const std::vector<Case> cases = {
        {"storage key without a record",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "7", 4, 0, {4}, {1}); }), {{"data/0", floats(4)}},
         "refers to storage '7', but the archive has no record data/7"},
        {"storage key with a path",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "../../etc/passwd", 4, 0, {4}, {1}); }), {},
         "is not a plain record name"},
        {"persistent id of 4 items",
         dict([](Pickle &p) {
             p.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
             p.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").op('t').op('Q');
         }),
         {}, "not a ('storage', type, key, location, numel) tuple"},
        {"persistent id not a storage",
         dict([](Pickle &p) {
             p.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
             p.op('(').str("module").global("torch", "FloatStorage").str("0").str("cpu").integer(1).op('t').op('Q');
         }),
         {}, "does not start with 'storage'"},
        {"storage type not a storage class",
         dict([](Pickle &p) {
             p.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
             p.op('(').str("storage").global("collections", "OrderedDict").str("0").str("cpu").integer(1).op('t').op('Q');
         }),
         {}, "not a torch.*Storage class"},
        {"negative numel", dict([&](Pickle &p) { storage(p, "FloatStorage", "0", -4); }), {},
         "impossible size of -4 elements"},
        {"view past the storage",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 4, 0, {10}, {1}); }), {{"data/0", floats(4)}},
         "reaches past the end of storage '0' (4 elements)"},
        {"offset past the storage",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 4, 3, {2}, {1}); }), {{"data/0", floats(4)}},
         "reaches past the end"},
        {"overflowing strides",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 4, 0, {2, 2}, {2147483647, 2147483647}); }),
         {{"data/0", floats(4)}}, "reaches past the end"},
        {"negative stride",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 4, 0, {2}, {-1}); }), {{"data/0", floats(4)}},
         "negative size or stride"},
        {"negative offset",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 4, -1, {2}, {1}); }), {{"data/0", floats(4)}},
         "negative storage offset"},
        {"sizes and strides differ",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 4, 0, {2, 2}, {1}); }), {{"data/0", floats(4)}},
         "2 sizes but 1 strides"},
        {"record smaller than the storage",
         dict([](Pickle &p) { p.tensor("w", "FloatStorage", "0", 5, 0, {5}, {1}); }), {{"data/0", floats(4)}},
         "record data/0 holds 16 bytes, but data.pkl says its FloatStorage has 5 elements (20 bytes)"},
        {"one key, two types",
         dict([](Pickle &p) {
             p.tensor("a", "FloatStorage", "0", 4, 0, {4}, {1});
             p.tensor("b", "HalfStorage", "0", 4, 0, {4}, {1});
         }),
         {{"data/0", floats(4)}}, "declared twice with different types"},
        {"rebuild with a non-storage",
         dict([](Pickle &p) {
             p.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(').integer(0).integer(0).ints({1}).ints({1});
             p.op(0x89).orderedDict().op('t').op('R');
         }),
         {}, "first argument is a int, not a storage"},
        {"rebuild with 3 arguments",
         dict([&](Pickle &p) { storage(p, "FloatStorage", "0", 4); p.integer(0).ints({4}).op('t').op('R'); }),
         {{"data/0", floats(4)}}, "takes 6 or 7 arguments, got 3"},
        {"entry that is not a tensor", dict([](Pickle &p) { p.str("epoch").integer(3); }), {},
         "entry 'epoch' is a int, not a tensor"},
    };
    for (const Case &c : cases) {
        const auto read = readBin(archive(c.pickle, c.records));
        QVERIFY2(!read.ok(), c.name);
        const std::string text = read.error().toString();
        QVERIFY2(contains(text, "evil.bin: ") && contains(text, c.expected), (std::string(c.name) + ": " + text).c_str());
    }
}

void TestWeightsRobustness::stackMemoAndNestingAbuse()
{
    struct Case {
        const char *name;
        std::string pickle;
        const char *expected;
    };
    auto repeat = [](const std::string &unit, size_t n) {
        std::string s;
        s.reserve(unit.size() * n);
        for (size_t k = 0; k < n; ++k)
            s += unit;
        return s;
    };
    std::string memo = Pickle().proto().op('N').bytes();
    for (uint32_t k = 0; k < 1100000; ++k)
        memo += Pickle().op('r').u32(k).bytes();
    std::string selfList = Pickle().proto().op(']').op('q').op(0).bytes();
    selfList += repeat(Pickle().op('h').op(0).op('a').bytes(), 100);
    const std::vector<Case> cases = {
        {"two million MARKs", Pickle().proto().raw(repeat("(", 2000000)).op('.').bytes(), "open MARKs"},
        {"two million Nones", Pickle().proto().raw(repeat("N", 2000000)).op('.').bytes(), "stack grows past"},
        {"100000 nested tuples", Pickle().proto().op(')').raw(repeat("\x85", 100000)).op('.').bytes(),
         "nest deeper than 32"},
        {"list containing itself", selfList + ".", "nest deeper than 32"},
        {"memo of a million entries", memo + ".", "memo grows past"},
        {"BINGET of nothing", Pickle().proto().op('h').op(5).op('.').bytes(), "memo entry 5, which was never stored"},
        {"LONG_BINGET of nothing", Pickle().proto().op('j').u32(0xffffffffu).op('.').bytes(), "never stored"},
        {"SETITEMS without MARK", Pickle().proto().orderedDict().op('u').op('.').bytes(), "without a preceding MARK"},
        {"SETITEMS with odd items", Pickle().proto().orderedDict().op('(').str("k").op('u').op('.').bytes(),
         "odd number"},
        {"SETITEM on a list", Pickle().proto().op(']').str("k").str("v").op('s').op('.').bytes(), "not a dict"},
        {"APPEND to a dict", Pickle().proto().op('}').str("v").op('a').op('.').bytes(), "not a list"},
        {"integer dict key", Pickle().proto().op('}').integer(1).str("v").op('s').op('.').bytes(),
         "only string keys"},
        {"STOP on an empty stack", Pickle().proto().op('.').bytes(), "stack is empty"},
        {"pop below a MARK", Pickle().proto().str("x").op('(').op(0x85).op('.').bytes(), "stack is empty"},
        {"no STOP", Pickle().proto().orderedDict().bytes(), "ends without STOP"},
        {"protocol 9", Pickle().op(0x80).op(9).bytes(), "protocol 9"},
        {"string longer than the file", Pickle().proto().op('X').u32(0xffffffffu).raw("abc").bytes(),
         "in the middle of BINUNICODE"},
        {"LONG1 of 200 bytes", Pickle().proto().op(0x8a).op(200).raw(std::string(200, '\1')).op('.').bytes(),
         "does not fit 64 bits"},
        {"REDUCE on a string", Pickle().proto().str("os.system").op(')').op('R').op('.').bytes(),
         "REDUCE calls a str"},
        {"REDUCE of a storage class",
         Pickle().proto().global("torch", "FloatStorage").op(')').op('R').op('.').bytes(), "never calls"},
        {"OrderedDict with arguments", Pickle().proto().global("collections", "OrderedDict").op(']').op(0x85).op('R').op('.').bytes(),
         "called with arguments"},
        {"BUILD on a string", Pickle().proto().str("x").op('}').op('b').op('.').bytes(), "BUILD on a str"},
        {"a list, not a state dict", Pickle().proto().op(']').op('.').bytes(), "holds a list, not a state dict"},
        {"GLOBAL without newline", Pickle().proto().op('c').raw(std::string(300, 'a')).bytes(), "not a line"},
    };
    for (const Case &c : cases) {
        const auto read = unpickle(c.pickle);
        QVERIFY2(!read.ok(), c.name);
        QVERIFY2(contains(read.error().message, c.expected),
                 (std::string(c.name) + ": " + read.error().message).c_str());
    }
    // Tighter limits apply as given.
    PickleLimits tight;
    tight.maxStack = 8;
    const std::string nine = Pickle().proto().raw(repeat("N", 9)).op('.').bytes();
    QVERIFY(!readStateDictPickle(reinterpret_cast<const uint8_t *>(nine.data()), nine.size(), "x", tight).ok());
}

void TestWeightsRobustness::garbageFiles()
{
    std::mt19937 rng(1234);
    std::vector<std::pair<std::string, std::string>> files = {
        {"empty", ""},
        {"zip magic only", "PK\x03\x04"},
        {"PYTORCH1 preview format", "PYTORCH1" + std::string(100, '\0')},
        {"zip without data.pkl", std::string()},
    };
    {
        std::string out;
        caffe2::serialize::PyTorchStreamWriter writer([&](const void *p, size_t n) {
            out.append(static_cast<const char *>(p), n);
            return n;
        });
        writer.writeRecord("constants.pkl", "x", 1);
        writer.writeEndOfFile();
        files[3].second = out;
    }
    for (size_t size : {1, 7, 64, 1000, 100000}) {
        std::string bytes(size, '\0');
        for (char &c : bytes)
            c = static_cast<char>(rng() & 0xff);
        files.emplace_back("random " + std::to_string(size), bytes);
        files.emplace_back("zip magic + random " + std::to_string(size), "PK\x03\x04" + bytes);
    }
    for (const auto &[name, bytes] : files) {
        const auto bin = readBin(bytes, "garbage.bin");
        QVERIFY2(!bin.ok(), name.c_str());
        QVERIFY2(contains(bin.error().toString(), "garbage.bin: "), (name + ": " + bin.error().toString()).c_str());
        const auto st = readSafetensors(MappedFile::fromBytes(bytes, "garbage.safetensors"));
        QVERIFY2(!st.ok(), name.c_str());
    }
    QVERIFY(contains(readBin(files[3].second).error().message, "no data.pkl"));
    // A real file on disk that is not there, and a folder.
    weightstest::TempDir dir;
    const auto missing = readPytorchBin(dir.file("absent.bin"));
    QVERIFY(!missing.ok() && missing.error().code == fmw::ErrorCode::Io);
    QVERIFY2(contains(missing.error().toString(), "absent.bin: cannot open"), missing.error().toString().c_str());
    QVERIFY(!readSafetensors(dir.path()).ok());
}

FMW_TEST_MAIN(TestWeightsRobustness, safetensorsEveryTruncation, safetensorsBadHeaders, pytorchBinEveryTruncation,
              pickleEveryTruncation, forbiddenOpcodes, forbiddenGlobals, badPersistentIdsAndViews,
              stackMemoAndNestingAbuse, garbageFiles)
#ifdef FMW_HAVE_QTTEST
#include "tst_weights_robustness.moc"
#endif
