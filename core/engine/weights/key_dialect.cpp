#include "engine/weights/key_dialect.h"

#include <cctype>
#include <optional>

namespace fmw::weights {

namespace {

// Pattern syntax: '#' matches a run of digits, a trailing '*' the (non-empty) rest of the
// name; everything else is literal. Captures fill the other side's '#'/'*' in order.
struct Rule {
    std::string remote;
    std::string native;
    bool transposed = false;
};

std::vector<Rule> makeRules()
{
    std::vector<Rule> rules = {
        {"vision_tower.convs.#.proj.*", "model.vision_tower.convs.#.conv.*"},
        {"vision_tower.convs.#.norm.*", "model.vision_tower.convs.#.norm.*"},
    };
    const std::pair<const char *, const char *> blocks[] = {{"spatial_block", "window_attn"},
                                                            {"channel_block", "channel_attn"}};
    for (const auto &[block, attn] : blocks) {
        const std::string r = std::string("vision_tower.blocks.#.#.") + block + ".";
        const std::string n = "model." + r;
        const std::string a = attn;
        rules.push_back({r + "conv1.fn.dw.*", n + "conv1.*"});
        rules.push_back({r + a + ".norm.*", n + "norm1.*"});
        rules.push_back({r + a + ".fn.*", n + a + ".*"});
        rules.push_back({r + "conv2.fn.dw.*", n + "conv2.*"});
        rules.push_back({r + "ffn.norm.*", n + "norm2.*"});
        rules.push_back({r + "ffn.fn.net.*", n + "ffn.*"});
    }
    const std::vector<Rule> rest = {
        {"vision_tower.*", "model.vision_tower.*"},
        // nn.Parameter [C, D] used as x @ W in the original, nn.Linear weight [D, C] natively.
        {"image_projection", "model.multi_modal_projector.image_projection.weight", true},
        {"image_proj_norm.*", "model.multi_modal_projector.image_proj_norm.*"},
        {"image_pos_embed.*", "model.multi_modal_projector.image_position_embed.*"},
        {"visual_temporal_embed.*", "model.multi_modal_projector.visual_temporal_embed.*"},
        {"language_model.lm_head.weight", "lm_head.weight"},
        {"language_model.model.*", "model.language_model.*"},
    };
    rules.insert(rules.end(), rest.begin(), rest.end());
    return rules;
}

const std::vector<Rule> &rules()
{
    static const std::vector<Rule> table = makeRules();
    return table;
}

std::optional<std::vector<std::string>> match(const std::string &pattern, const std::string &name)
{
    std::vector<std::string> captures;
    size_t n = 0;
    for (size_t p = 0; p < pattern.size(); ++p) {
        const char c = pattern[p];
        if (c == '#') {
            const size_t start = n;
            while (n < name.size() && std::isdigit(static_cast<unsigned char>(name[n])))
                ++n;
            if (n == start)
                return std::nullopt;
            captures.push_back(name.substr(start, n - start));
        } else if (c == '*') {
            if (n >= name.size())
                return std::nullopt;
            captures.push_back(name.substr(n));
            n = name.size();
        } else {
            if (n >= name.size() || name[n] != c)
                return std::nullopt;
            ++n;
        }
    }
    if (n != name.size())
        return std::nullopt;
    return captures;
}

std::string fill(const std::string &pattern, const std::vector<std::string> &captures)
{
    std::string out;
    size_t next = 0;
    for (char c : pattern) {
        if ((c == '#' || c == '*') && next < captures.size())
            out += captures[next++];
        else
            out += c;
    }
    return out;
}

DialectKey translate(const std::string &key, bool toNative)
{
    for (const Rule &rule : rules()) {
        const std::string &from = toNative ? rule.remote : rule.native;
        const std::string &to = toNative ? rule.native : rule.remote;
        if (auto captures = match(from, key))
            return {fill(to, *captures), rule.transposed};
    }
    return {key, false};
}

bool startsWith(const std::string &s, const char *prefix)
{
    return s.rfind(prefix, 0) == 0;
}

} // namespace

const char *dialectName(KeyDialect dialect)
{
    return dialect == KeyDialect::Native ? "transformers-native" : "remote-code";
}

DialectKey remoteToNative(const std::string &remoteKey)
{
    return translate(remoteKey, true);
}

DialectKey nativeToRemote(const std::string &nativeKey)
{
    return translate(nativeKey, false);
}

Result<KeyDialect> detectDialect(const std::vector<std::string> &keys, const std::string &source)
{
    const char *remotePrefixes[] = {"vision_tower.", "language_model.", "image_projection", "image_proj_norm.",
                                    "image_pos_embed.", "visual_temporal_embed."};
    std::string remoteExample, nativeExample;
    for (const std::string &key : keys) {
        if (nativeExample.empty() && (startsWith(key, "model.") || key == "lm_head.weight"))
            nativeExample = key;
        for (const char *prefix : remotePrefixes)
            if (remoteExample.empty() && startsWith(key, prefix))
                remoteExample = key;
    }
    if (!remoteExample.empty() && !nativeExample.empty())
        return makeError(ErrorCode::Parse,
                         "the checkpoint mixes the two Florence-2 key dialects: '" + remoteExample +
                             "' is a remote-code name, '" + nativeExample + "' a transformers-native one",
                         source);
    return nativeExample.empty() ? KeyDialect::RemoteCode : KeyDialect::Native;
}

const std::vector<std::string> &tiedEmbeddingKeys()
{
    static const std::vector<std::string> keys = {
        "language_model.model.shared.weight",
        "language_model.model.encoder.embed_tokens.weight",
        "language_model.model.decoder.embed_tokens.weight",
        "language_model.lm_head.weight",
    };
    return keys;
}

} // namespace fmw::weights
