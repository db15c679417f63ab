#pragma once
// The keys and values one attention layer has seen, [B, heads, length, head_dim], kept in
// buffers with room to grow so decoding a token writes into memory that already exists
// (a fresh allocation per step costs page faults on every token). Part of DecoderCache.

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace fmw::florence2 {

class KeyValueBuffer {
public:
    bool empty() const { return m_length == 0; }
    int64_t length() const { return m_length; }
    int64_t capacity() const { return m_keys.defined() ? m_keys.size(2) : 0; }

    // Views of the filled part, [B, heads, length, head_dim].
    at::Tensor keys() const;
    at::Tensor values() const;

    // Appends [B, heads, n, head_dim] along the sequence axis. The first append allocates
    // max(n, reserve) positions; a full buffer doubles (one copy per doubling).
    void append(const at::Tensor &keys, const at::Tensor &values, int64_t reserve = 0);
    // Replaces the content (cross-attention keys/values, computed once per encoder output).
    void assign(const at::Tensor &keys, const at::Tensor &values);
    // Keeps batch rows `rows` (int64 [B']) in that order: beam reordering, dropping rows.
    void reorder(const at::Tensor &rows);
    void clear();

private:
    at::Tensor m_keys; // [B, heads, capacity, head_dim]
    at::Tensor m_values; // [B, heads, capacity, head_dim]
    int64_t m_length = 0;
};

} // namespace fmw::florence2
