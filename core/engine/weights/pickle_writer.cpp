#include "engine/weights/pickle_writer.h"

#include <cstdint>
#include <functional>
#include <map>

namespace fmw::weights {

namespace {

// Emits opcodes the way CPython's protocol-2 pickler does for torch.save's objects, memoizing
// the repeated globals and strings so a large state dict stays compact.
class Pickler {
public:
    std::string finish() { return std::move(m_out); }

    void op(uint8_t code) { m_out.push_back(static_cast<char>(code)); }
    void le(uint64_t v, int bytes)
    {
        for (int k = 0; k < bytes; ++k)
            m_out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
    }
    void integer(int64_t v)
    {
        if (v >= 0 && v <= 0xff) {
            op('K');
            le(static_cast<uint64_t>(v), 1);
        } else if (v >= 0 && v <= 0xffff) {
            op('M');
            le(static_cast<uint64_t>(v), 2);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            op('J');
            le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
        } else {
            // LONG1 with the shortest two's complement encoding, as pickle.encode_long does.
            int n = 8;
            while (n > 1) {
                const int64_t lo = -(int64_t(1) << (8 * (n - 1) - 1));
                const int64_t hi = (int64_t(1) << (8 * (n - 1) - 1)) - 1;
                if (v < lo || v > hi)
                    break;
                --n;
            }
            op(0x8a);
            le(static_cast<uint64_t>(n), 1);
            le(static_cast<uint64_t>(v), n);
        }
    }
    void memoize()
    {
        const uint32_t index = m_nextMemo++;
        if (index <= 0xff) {
            op('q');
            le(index, 1);
        } else {
            op('r');
            le(index, 4);
        }
    }
    void fetch(uint32_t index)
    {
        if (index <= 0xff) {
            op('h');
            le(index, 1);
        } else {
            op('j');
            le(index, 4);
        }
    }
    // A string or global written once and fetched from the memo afterwards.
    void shared(const std::string &key, const std::function<void()> &emit)
    {
        const auto it = m_memo.find(key);
        if (it != m_memo.end()) {
            fetch(it->second);
            return;
        }
        emit();
        m_memo.emplace(key, m_nextMemo);
        memoize();
    }
    void unicode(const std::string &s)
    {
        op('X');
        le(s.size(), 4);
        m_out += s;
    }
    void sharedUnicode(const std::string &s)
    {
        shared("str:" + s, [&] { unicode(s); });
    }
    void global(const std::string &module, const std::string &name)
    {
        shared("global:" + module + "." + name, [&] {
            op('c');
            m_out += module + "\n" + name + "\n";
        });
    }
    void intTuple(const std::vector<int64_t> &v)
    {
        if (v.empty()) {
            op(')');
            return;
        }
        if (v.size() > 3)
            op('(');
        for (int64_t x : v)
            integer(x);
        op(v.size() > 3 ? 't' : static_cast<uint8_t>(0x84 + v.size()));
    }

private:
    std::string m_out;
    std::map<std::string, uint32_t> m_memo;
    uint32_t m_nextMemo = 0;
};

} // namespace

std::string writeStateDictPickle(const std::vector<PickleTensorEntry> &entries)
{
    Pickler p;
    p.op(0x80);  // PROTO 2
    p.le(2, 1);
    p.global("collections", "OrderedDict");
    p.op(')');
    p.op('R');
    p.memoize();
    const size_t batch = 1000;  // CPython's _BATCHSIZE for SETITEMS
    for (size_t start = 0; start < entries.size(); start += batch) {
        p.op('(');
        for (size_t k = start; k < entries.size() && k < start + batch; ++k) {
            const PickleTensorEntry &e = entries[k];
            p.unicode(e.name);
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            // persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel)
            p.op('(');
            p.sharedUnicode("storage");
            p.global("torch", torchStorageName(e.type));
            p.unicode(e.storageKey);
            p.sharedUnicode("cpu");
            p.integer(e.storageNumel);
            p.op('t');
            p.op('Q');
            p.integer(e.storageOffset);
            p.intTuple(e.sizes);
            p.intTuple(e.strides);
            p.op(0x89);  // requires_grad False
            p.global("collections", "OrderedDict");  // backward_hooks: OrderedDict()
            p.op(')');
            p.op('R');
            p.op('t');
            p.op('R');
        }
        p.op('u');
    }
    p.op('.');
    return p.finish();
}

} // namespace fmw::weights
