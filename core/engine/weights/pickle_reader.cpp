#include "engine/weights/pickle_reader.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

namespace fmw::weights {

namespace {

// Opcodes of pickle protocols 0-5 (Lib/pickle.py), named so errors can say which one.
struct OpcodeName {
    uint8_t code;
    const char *name;
};
constexpr OpcodeName kOpcodeNames[] = {
    {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"},
    {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"},
    {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"},
    {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"},
    {'c', "GLOBAL"}, {'d', "DICT"}, {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"},
    {'i', "INST"}, {'j', "LONG_BINGET"}, {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"},
    {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"}, {')', "EMPTY_TUPLE"},
    {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"},
    {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"},
    {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"}, {'B', "BINBYTES"},
    {'C', "SHORT_BINBYTES"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"},
    {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
    {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"},
    {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
};

std::string describeOpcode(uint8_t op)
{
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    for (const OpcodeName &o : kOpcodeNames)
        if (o.code == op)
            return std::string(o.name) + " (" + hex + ")";
    return std::string("unknown opcode ") + hex;
}

enum class Kind : uint8_t { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };

const char *kindName(Kind k)
{
    switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
    }
    return "?";
}

enum class Callable : uint8_t { OrderedDict, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, Storage };

struct Object;

// A pickle value. Objects live in the unpickler's arena and values only point at them, so
// shared and even cyclic references (allowed by BINGET) cost nothing and free no memory twice.
struct Value {
    Kind kind = Kind::None;
    int64_t i = 0;  // Bool, Int
    double f = 0;   // Float
    Object *obj = nullptr;
};

struct Object {
    std::string str;                              // Str; Global: "module.name"
    std::vector<Value> items;                     // Tuple, List; Dict: key, value, key, value...
    std::unordered_map<std::string, size_t> keys;  // Dict: key -> index of its value in items
    int depth = 1;                                // container nesting below and including this
    Callable callable = Callable::OrderedDict;    // Global
    ElementType storageType = ElementType::F32;   // Global (Storage callable), Storage
    std::string storageKey;                       // Storage
    PickledTensor tensor;                         // Tensor
};

class Unpickler {
public:
    Unpickler(const uint8_t *data, size_t size, const std::string &source, const PickleLimits &limits)
        : m_data(data), m_size(size), m_source(source), m_limits(limits)
    {
    }

    Result<PickledStateDict> run();

private:
    struct Failure {
        std::string message;
    };

    [[noreturn]] void fail(const std::string &message) const
    {
        throw Failure{"data.pkl byte " + std::to_string(m_opStart) + ": " + message};
    }

    // --- reading bytes ---
    void need(size_t n) const
    {
        if (n > m_size - m_pos)
            fail("the pickle ends in the middle of " + describeOpcode(m_op) + " (" + std::to_string(n) +
                 " more bytes needed, " + std::to_string(m_size - m_pos) + " left): truncated file?");
    }
    uint64_t readLE(size_t n)
    {
        need(n);
        uint64_t v = 0;
        for (size_t k = 0; k < n; ++k)
            v |= uint64_t(m_data[m_pos + k]) << (8 * k);
        m_pos += n;
        return v;
    }
    std::string readBytes(uint64_t n)
    {
        need(static_cast<size_t>(std::min<uint64_t>(n, SIZE_MAX)));
        std::string s(reinterpret_cast<const char *>(m_data + m_pos), static_cast<size_t>(n));
        m_pos += static_cast<size_t>(n);
        return s;
    }
    std::string readLine()
    {
        const size_t maxLine = 256;
        for (size_t k = m_pos; k < m_size && k - m_pos <= maxLine; ++k) {
            if (m_data[k] == '\n') {
                std::string s(reinterpret_cast<const char *>(m_data + m_pos), k - m_pos);
                m_pos = k + 1;
                return s;
            }
        }
        fail("GLOBAL name is not a line of at most " + std::to_string(maxLine) + " bytes");
    }

    // --- the stack ---
    void push(const Value &v)
    {
        if (m_stack.size() >= m_limits.maxStack)
            fail("the pickle stack grows past " + std::to_string(m_limits.maxStack) + " entries");
        m_stack.push_back(v);
    }
    Value pop()
    {
        if (m_stack.size() <= floor())
            fail(describeOpcode(m_op) + " needs a value, but the stack is empty");
        Value v = m_stack.back();
        m_stack.pop_back();
        return v;
    }
    Value &top()
    {
        if (m_stack.size() <= floor())
            fail(describeOpcode(m_op) + " needs a value, but the stack is empty");
        return m_stack.back();
    }
    size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    std::vector<Value> popToMark()
    {
        if (m_marks.empty())
            fail(describeOpcode(m_op) + " without a preceding MARK");
        const size_t mark = m_marks.back();
        m_marks.pop_back();
        std::vector<Value> items(m_stack.begin() + static_cast<std::ptrdiff_t>(mark), m_stack.end());
        m_stack.resize(mark);
        return items;
    }

    // --- objects ---
    Object *newObject()
    {
        m_arena.push_back(std::make_unique<Object>());
        return m_arena.back().get();
    }
    static int depthOf(const Value &v)
    {
        switch (v.kind) {
        case Kind::Tuple:
        case Kind::List:
        case Kind::Dict:
            return v.obj->depth;
        default:
            return 0;
        }
    }
    void noteChild(Object *container, const Value &child)
    {
        const int d = depthOf(child) + 1;
        if (d > container->depth)
            container->depth = d;
        if (container->depth > m_limits.maxDepth)
            fail("containers nest deeper than " + std::to_string(m_limits.maxDepth) + " levels");
    }
    Value makeStr(std::string s)
    {
        Object *o = newObject();
        o->str = std::move(s);
        return Value{Kind::Str, 0, 0, o};
    }
    Value makeTuple(std::vector<Value> items)
    {
        Object *o = newObject();
        for (const Value &v : items)
            noteChild(o, v);
        o->items = std::move(items);
        return Value{Kind::Tuple, 0, 0, o};
    }
    Value makeContainer(Kind kind)
    {
        return Value{kind, 0, 0, newObject()};
    }
    void setItem(Value &dict, const Value &key, const Value &value)
    {
        if (dict.kind != Kind::Dict)
            fail(describeOpcode(m_op) + " on a " + kindName(dict.kind) + ", not a dict");
        if (key.kind != Kind::Str)
            fail(std::string("dict key is a ") + kindName(key.kind) + "; a state dict has only string keys");
        Object *o = dict.obj;
        noteChild(o, value);
        const auto it = o->keys.find(key.obj->str);
        if (it != o->keys.end()) {
            o->items[it->second] = value;
            return;
        }
        o->items.push_back(key);
        o->items.push_back(value);
        o->keys.emplace(key.obj->str, o->items.size() - 1);
    }
    void append(Value &list, const Value &value)
    {
        if (list.kind != Kind::List)
            fail(describeOpcode(m_op) + " on a " + kindName(list.kind) + ", not a list");
        noteChild(list.obj, value);
        list.obj->items.push_back(value);
    }

    // --- memo ---
    void put(uint64_t index)
    {
        if (m_memo.size() >= m_limits.maxMemo && !m_memo.count(index))
            fail("the memo grows past " + std::to_string(m_limits.maxMemo) + " entries");
        m_memo[index] = top();
    }
    void get(uint64_t index)
    {
        const auto it = m_memo.find(index);
        if (it == m_memo.end())
            fail(describeOpcode(m_op) + " of memo entry " + std::to_string(index) + ", which was never stored");
        push(it->second);
    }

    Value global(const std::string &module, const std::string &name);
    Value persistentLoad(const Value &pid);
    Value reduce(const Value &callable, const Value &args);
    Value rebuildTensor(const std::vector<Value> &args);
    int64_t intArg(const Value &v, const char *what)
    {
        if (v.kind != Kind::Int)
            fail(std::string(what) + " is a " + kindName(v.kind) + ", not an int");
        return v.i;
    }
    std::vector<int64_t> intTuple(const Value &v, const char *what);
    void step();
    PickledStateDict collect(const Value &root);

    const uint8_t *m_data;
    size_t m_size;
    size_t m_pos = 0;
    size_t m_opStart = 0;
    uint8_t m_op = 0;
    const std::string &m_source;
    PickleLimits m_limits;
    std::vector<Value> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint64_t, Value> m_memo;
    std::vector<std::unique_ptr<Object>> m_arena;
    std::map<std::string, PickledStorage> m_storages;
    bool m_stopped = false;
    Value m_result;
};

Value Unpickler::global(const std::string &module, const std::string &name)
{
    Object *o = newObject();
    o->str = module + "." + name;
    if (module == "collections" && name == "OrderedDict") {
        o->callable = Callable::OrderedDict;
    } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
        o->callable = Callable::RebuildTensorV2;
    } else if (module == "torch._utils" && name == "_rebuild_parameter") {
        o->callable = Callable::RebuildParameter;
    } else if (module == "torch._utils" && name == "_rebuild_parameter_with_state") {
        o->callable = Callable::RebuildParameterWithState;
    } else if (module == "torch" && elementTypeFromTorchStorage(name)) {
        o->callable = Callable::Storage;
        o->storageType = *elementTypeFromTorchStorage(name);
    } else {
        fail("global '" + o->str +
             "' is not allowed: a state dict needs only collections.OrderedDict, "
             "torch._utils._rebuild_tensor_v2 / _rebuild_parameter and torch.*Storage "
             "(nothing in the file is executed)");
    }
    return Value{Kind::Global, 0, 0, o};
}

std::vector<int64_t> Unpickler::intTuple(const Value &v, const char *what)
{
    if (v.kind != Kind::Tuple)
        fail(std::string(what) + " is a " + kindName(v.kind) + ", not a tuple of ints");
    std::vector<int64_t> out;
    for (const Value &item : v.obj->items)
        out.push_back(intArg(item, what));
    return out;
}

// BINPERSID: ('storage', torch.FloatStorage, key, location, numel) names a data/<key> record.
Value Unpickler::persistentLoad(const Value &pid)
{
    if (pid.kind != Kind::Tuple || pid.obj->items.size() != 5)
        fail("persistent id is not a ('storage', type, key, location, numel) tuple");
    const std::vector<Value> &t = pid.obj->items;
    if (t[0].kind != Kind::Str || t[0].obj->str != "storage")
        fail("persistent id does not start with 'storage'");
    if (t[1].kind != Kind::Global || t[1].obj->callable != Callable::Storage)
        fail("persistent id's storage type is not a torch.*Storage class");
    if (t[2].kind != Kind::Str)
        fail("persistent id's storage key is not a string");
    const std::string &key = t[2].obj->str;
    bool keyOk = !key.empty() && key.size() <= 64;
    for (char c : key)
        keyOk = keyOk && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!keyOk)
        fail("storage key '" + key.substr(0, 80) + "' is not a plain record name");
    if (t[3].kind != Kind::Str)
        fail("persistent id's location is not a string");
    const int64_t numel = intArg(t[4], "storage size");
    const ElementType type = t[1].obj->storageType;
    int64_t bytes = 0;
    if (numel < 0 || __builtin_mul_overflow(numel, static_cast<int64_t>(elementSize(type)), &bytes))
        fail("storage '" + key + "' has an impossible size of " + std::to_string(numel) + " elements");
    const auto it = m_storages.find(key);
    if (it != m_storages.end()) {
        if (it->second.type != type || it->second.numel != numel)
            fail("storage '" + key + "' is declared twice with different types or sizes");
    } else {
        m_storages.emplace(key, PickledStorage{type, numel, t[3].obj->str});
    }
    Object *o = newObject();
    o->storageKey = key;
    o->storageType = type;
    return Value{Kind::Storage, 0, 0, o};
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
Value Unpickler::rebuildTensor(const std::vector<Value> &args)
{
    if (args.size() != 6 && args.size() != 7)
        fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(args.size()));
    if (args[0].kind != Kind::Storage)
        fail(std::string("_rebuild_tensor_v2's first argument is a ") + kindName(args[0].kind) +
             ", not a storage");
    PickledTensor t;
    t.storageKey = args[0].obj->storageKey;
    t.storageOffset = intArg(args[1], "storage offset");
    t.sizes = intTuple(args[2], "tensor size");
    t.strides = intTuple(args[3], "tensor stride");
    if (t.sizes.size() != t.strides.size())
        fail("tensor has " + std::to_string(t.sizes.size()) + " sizes but " + std::to_string(t.strides.size()) +
             " strides");
    if (t.sizes.size() > 64)
        fail("tensor has " + std::to_string(t.sizes.size()) + " dimensions");
    if (t.storageOffset < 0)
        fail("negative storage offset " + std::to_string(t.storageOffset));
    const int64_t storageNumel = m_storages.at(t.storageKey).numel;
    // The last element the view touches must lie inside the storage.
    int64_t last = t.storageOffset;
    bool empty = false;
    for (size_t d = 0; d < t.sizes.size(); ++d) {
        if (t.sizes[d] < 0 || t.strides[d] < 0)
            fail("tensor has a negative size or stride");
        if (t.sizes[d] == 0)
            empty = true;
    }
    bool overflow = false;
    if (!empty) {
        for (size_t d = 0; d < t.sizes.size(); ++d) {
            int64_t span = 0;
            overflow = overflow || __builtin_mul_overflow(t.sizes[d] - 1, t.strides[d], &span) ||
                       __builtin_add_overflow(last, span, &last);
        }
        if (overflow || last >= storageNumel)
            fail("tensor view (offset " + std::to_string(t.storageOffset) + ") reaches past the end of storage '" +
                 t.storageKey + "' (" + std::to_string(storageNumel) + " elements)");
    } else if (t.storageOffset > storageNumel) {
        fail("empty tensor's offset lies past the end of storage '" + t.storageKey + "'");
    }
    Object *o = newObject();
    o->tensor = std::move(t);
    return Value{Kind::Tensor, 0, 0, o};
}

Value Unpickler::reduce(const Value &callable, const Value &args)
{
    if (callable.kind != Kind::Global)
        fail(std::string("REDUCE calls a ") + kindName(callable.kind) + ", not an allowed global");
    if (args.kind != Kind::Tuple)
        fail(std::string("REDUCE arguments are a ") + kindName(args.kind) + ", not a tuple");
    const std::vector<Value> &a = args.obj->items;
    switch (callable.obj->callable) {
    case Callable::OrderedDict:
        if (!a.empty())
            fail("collections.OrderedDict is called with arguments; torch.save passes none");
        return makeContainer(Kind::Dict);
    case Callable::RebuildTensorV2:
        return rebuildTensor(a);
    case Callable::RebuildParameter:
    case Callable::RebuildParameterWithState: {
        const size_t want = callable.obj->callable == Callable::RebuildParameter ? 3 : 4;
        if (a.size() != want || a[0].kind != Kind::Tensor)
            fail(callable.obj->str + " expects a tensor and " + std::to_string(want - 1) + " more arguments");
        return a[0];
    }
    case Callable::Storage:
        break;
    }
    fail("REDUCE calls " + callable.obj->str + ", which a state dict never calls");
}

void Unpickler::step()
{
    m_opStart = m_pos;
    m_op = static_cast<uint8_t>(readLE(1));
    switch (m_op) {
    case 0x80: {  // PROTO
        const uint64_t proto = readLE(1);
        if (proto < 2 || proto > 5)
            fail("pickle protocol " + std::to_string(proto) + " is not one torch.save writes (2 to 5)");
        return;
    }
    case 0x95:  // FRAME: a length hint only
        readLE(8);
        return;
    case '.':  // STOP
        m_result = pop();
        m_stopped = true;
        return;
    case '(':  // MARK
        if (m_marks.size() >= m_limits.maxStack)
            fail("more than " + std::to_string(m_limits.maxStack) + " open MARKs");
        m_marks.push_back(m_stack.size());
        return;
    case '}':
        push(makeContainer(Kind::Dict));
        return;
    case ']':
        push(makeContainer(Kind::List));
        return;
    case ')':
        push(makeTuple({}));
        return;
    case 't':
        push(makeTuple(popToMark()));
        return;
    case 0x85:
    case 0x86:
    case 0x87: {  // TUPLE1..3
        const size_t n = m_op - 0x84u;
        std::vector<Value> items(n);
        for (size_t k = n; k-- > 0;)
            items[k] = pop();
        push(makeTuple(std::move(items)));
        return;
    }
    case 'a': {  // APPEND
        const Value v = pop();
        append(top(), v);
        return;
    }
    case 'e': {  // APPENDS
        std::vector<Value> items = popToMark();
        Value &list = top();
        for (const Value &v : items)
            append(list, v);
        return;
    }
    case 's': {  // SETITEM
        const Value value = pop();
        const Value key = pop();
        setItem(top(), key, value);
        return;
    }
    case 'u': {  // SETITEMS
        std::vector<Value> items = popToMark();
        if (items.size() % 2 != 0)
            fail("SETITEMS with an odd number of keys and values");
        Value &dict = top();
        for (size_t k = 0; k < items.size(); k += 2)
            setItem(dict, items[k], items[k + 1]);
        return;
    }
    case 'J':  // BININT: signed 32-bit
        push(Value{Kind::Int, static_cast<int32_t>(static_cast<uint32_t>(readLE(4))), 0, nullptr});
        return;
    case 'K':
        push(Value{Kind::Int, static_cast<int64_t>(readLE(1)), 0, nullptr});
        return;
    case 'M':
        push(Value{Kind::Int, static_cast<int64_t>(readLE(2)), 0, nullptr});
        return;
    case 0x8a: {  // LONG1: n-byte little-endian two's complement
        const size_t n = static_cast<size_t>(readLE(1));
        if (n > 8)
            fail("LONG1 integer of " + std::to_string(n) + " bytes does not fit 64 bits");
        uint64_t v = n ? readLE(n) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1)
            v |= ~uint64_t(0) << (8 * n);  // sign-extend
        push(Value{Kind::Int, static_cast<int64_t>(v), 0, nullptr});
        return;
    }
    case 'G': {  // BINFLOAT: big-endian IEEE double
        need(8);
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k)
            bits = (bits << 8) | m_data[m_pos + k];
        m_pos += 8;
        double d;
        std::memcpy(&d, &bits, sizeof d);
        push(Value{Kind::Float, 0, d, nullptr});
        return;
    }
    case 'N':
        push(Value{});
        return;
    case 0x88:
    case 0x89:
        push(Value{Kind::Bool, m_op == 0x88 ? 1 : 0, 0, nullptr});
        return;
    case 'X':
        push(makeStr(readBytes(readLE(4))));
        return;
    case 0x8c:
        push(makeStr(readBytes(readLE(1))));
        return;
    case 0x8d:
        push(makeStr(readBytes(readLE(8))));
        return;
    case 'q':
        put(readLE(1));
        return;
    case 'r':
        put(readLE(4));
        return;
    case 0x94:  // MEMOIZE
        put(m_memo.size());
        return;
    case 'h':
        get(readLE(1));
        return;
    case 'j':
        get(readLE(4));
        return;
    case 'c': {  // GLOBAL "module\nname\n"
        const std::string module = readLine();
        const std::string name = readLine();
        push(global(module, name));
        return;
    }
    case 0x93: {  // STACK_GLOBAL
        const Value name = pop();
        const Value module = pop();
        if (name.kind != Kind::Str || module.kind != Kind::Str)
            fail("STACK_GLOBAL needs two strings");
        push(global(module.obj->str, name.obj->str));
        return;
    }
    case 'Q':
        push(persistentLoad(pop()));
        return;
    case 'R': {
        const Value args = pop();
        const Value callable = pop();
        push(reduce(callable, args));
        return;
    }
    case 'b': {  // BUILD: sets attributes (HF's _metadata) on the OrderedDict; not needed here
        pop();
        if (top().kind != Kind::Dict)
            fail(std::string("BUILD on a ") + kindName(top().kind) + "; a state dict only builds its dict");
        return;
    }
    default:
        fail("pickle opcode " + describeOpcode(m_op) +
             " is not allowed: a state dict never needs it (nothing in the file is executed)");
    }
}

PickledStateDict Unpickler::collect(const Value &root)
{
    if (root.kind != Kind::Dict)
        fail(std::string("the pickle holds a ") + kindName(root.kind) + ", not a state dict");
    PickledStateDict out;
    const std::vector<Value> &items = root.obj->items;
    for (size_t k = 0; k < items.size(); k += 2) {
        const std::string &name = items[k].obj->str;
        const Value &v = items[k + 1];
        if (v.kind != Kind::Tensor)
            fail("entry '" + name + "' is a " + kindName(v.kind) +
                 ", not a tensor: this is not a plain state dict (a training checkpoint? save "
                 "model.state_dict() instead)");
        out.tensors.emplace_back(name, v.obj->tensor);
    }
    out.storages = std::move(m_storages);
    return out;
}

Result<PickledStateDict> Unpickler::run()
{
    try {
        while (!m_stopped) {
            if (m_pos >= m_size) {
                m_opStart = m_pos;
                fail("the pickle ends without STOP: truncated file?");
            }
            step();
        }
        m_opStart = m_pos;
        return collect(m_result);
    } catch (const Failure &f) {
        return makeError(ErrorCode::Parse, f.message, m_source);
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Parse, "data.pkl: out of memory while reading the pickle", m_source);
    }
}

} // namespace

Result<PickledStateDict> readStateDictPickle(const uint8_t *data, size_t size, const std::string &source,
                                             const PickleLimits &limits)
{
    return Unpickler(data, size, source, limits).run();
}

} // namespace fmw::weights
