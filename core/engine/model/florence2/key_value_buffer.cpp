#include "engine/model/florence2/key_value_buffer.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace fmw::florence2 {

at::Tensor KeyValueBuffer::keys() const
{
    return m_keys.defined() ? m_keys.narrow(2, 0, m_length) : at::Tensor();
}

at::Tensor KeyValueBuffer::values() const
{
    return m_values.defined() ? m_values.narrow(2, 0, m_length) : at::Tensor();
}

void KeyValueBuffer::append(const at::Tensor &keys, const at::Tensor &values, int64_t reserve)
{
    const int64_t n = keys.size(2);
    const int64_t needed = m_length + n;
    if (!m_keys.defined() || needed > capacity() || m_keys.size(0) != keys.size(0)) {
        const int64_t grown = m_keys.defined() ? std::max(needed, 2 * capacity()) : std::max(needed, reserve);
        at::Tensor k = at::empty({keys.size(0), keys.size(1), grown, keys.size(3)}, keys.options());
        at::Tensor v = at::empty({values.size(0), values.size(1), grown, values.size(3)}, values.options());
        if (m_length > 0) {
            k.narrow(2, 0, m_length).copy_(this->keys());
            v.narrow(2, 0, m_length).copy_(this->values());
        }
        m_keys = k;
        m_values = v;
    }
    m_keys.narrow(2, m_length, n).copy_(keys);
    m_values.narrow(2, m_length, n).copy_(values);
    m_length = needed;
}

void KeyValueBuffer::assign(const at::Tensor &keys, const at::Tensor &values)
{
    m_keys = keys.contiguous();
    m_values = values.contiguous();
    m_length = keys.size(2);
}

void KeyValueBuffer::reorder(const at::Tensor &rows)
{
    if (!m_keys.defined())
        return;
    const at::Tensor index = rows.to(m_keys.device(), at::kLong);
    if (index.size(0) != m_keys.size(0)) {
        // a different batch size: new buffers with the same capacity
        at::Tensor k
            = at::empty({index.size(0), m_keys.size(1), capacity(), m_keys.size(3)}, m_keys.options());
        at::Tensor v
            = at::empty({index.size(0), m_values.size(1), capacity(), m_values.size(3)}, m_values.options());
        k.narrow(2, 0, m_length).copy_(keys().index_select(0, index));
        v.narrow(2, 0, m_length).copy_(values().index_select(0, index));
        m_keys = k;
        m_values = v;
        return;
    }
    // gather the filled part, then write it back in place
    keys().copy_(keys().index_select(0, index));
    values().copy_(values().index_select(0, index));
}

void KeyValueBuffer::clear()
{
    m_keys = at::Tensor();
    m_values = at::Tensor();
    m_length = 0;
}

} // namespace fmw::florence2
