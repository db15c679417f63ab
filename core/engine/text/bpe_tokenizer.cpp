#include "engine/text/bpe_tokenizer.h"

#include "engine/text/bpe_model.h"
#include "engine/text/byte_level.h"
#include "engine/text/utf8.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace fmw::text {

using nlohmann::json;

struct BpeTokenizer::State {
    std::shared_ptr<const BpeModel> model;
    AddedVocabulary added;
    bool addPrefixSpace = false;
    bool useRegex = true;
    int clsId = -1; // prepended by the post-processor, -1: nothing
    int sepId = -1; // appended by the post-processor
    int padId = -1;
    bool cleanUp = true;
};

namespace {

bool fileExists(const std::string &path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::string> readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return makeError(ErrorCode::Io, "cannot open the file for reading", path);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        return makeError(ErrorCode::Io, "read error", path);
    return ss.str();
}

Result<json> readJson(const std::string &path)
{
    auto text = readFile(path);
    if (!text)
        return text.error();
    try {
        return json::parse(*text);
    } catch (const json::exception &e) {
        return makeError(ErrorCode::Parse, std::string("not valid JSON: ") + e.what(), path);
    }
}

Error unsupported(const std::string &path, const std::string &what)
{
    return makeError(ErrorCode::Unsupported,
        what + "; only byte-level BPE tokenizers (the GPT-2/BART family) are supported", path);
}

Result<BpeModel::Vocab> parseVocab(const json &j, const std::string &path)
{
    if (!j.is_object())
        return makeError(ErrorCode::Parse, "the vocabulary must be a JSON object of token -> id", path);
    BpeModel::Vocab vocab;
    vocab.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it.value().is_number_integer())
            return makeError(ErrorCode::Parse, "vocabulary entry '" + it.key() + "' has no integer id", path);
        vocab.emplace_back(it.key(), it.value().get<int>());
    }
    return vocab;
}

// "a b" -> (a, b); HF splits on the single space a byte-level token can never contain.
bool splitMerge(const std::string &line, std::pair<std::string, std::string> *out)
{
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= line.size()
        || line.find(' ', sp + 1) != std::string::npos)
        return false;
    *out = {line.substr(0, sp), line.substr(sp + 1)};
    return true;
}

Result<BpeModel::Merges> parseMergesJson(const json &j, const std::string &path)
{
    if (!j.is_array())
        return makeError(ErrorCode::Parse, "model.merges must be an array", path);
    BpeModel::Merges merges;
    merges.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
        const json &m = j[i];
        std::pair<std::string, std::string> pair;
        if (m.is_string() && splitMerge(m.get<std::string>(), &pair)) {
            merges.push_back(std::move(pair));
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        } else {
            return makeError(ErrorCode::Parse,
                "model.merges[" + std::to_string(i) + "] is neither \"a b\" nor [\"a\", \"b\"]: " + m.dump(),
                path);
        }
    }
    return merges;
}

Result<BpeModel::Merges> parseMergesTxt(const std::string &path)
{
    auto text = readFile(path);
    if (!text)
        return text.error();
    BpeModel::Merges merges;
    std::istringstream in(*text);
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line.rfind("#version", 0) == 0)
            continue;
        std::pair<std::string, std::string> pair;
        if (!splitMerge(line, &pair))
            return makeError(ErrorCode::Parse, "expected two tokens separated by one space", path, lineNo);
        merges.push_back(std::move(pair));
    }
    return merges;
}

Result<AddedToken> parseAddedToken(const json &j, int id, const std::string &path)
{
    if (!j.is_object() || !j.contains("content") || !j["content"].is_string())
        return makeError(
            ErrorCode::Parse, "added token " + std::to_string(id) + " has no string 'content'", path);
    AddedToken t;
    t.id = id;
    t.content = j["content"].get<std::string>();
    auto flag = [&](const char *key, bool def) {
        return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : def;
    };
    t.special = flag("special", true);
    t.lstrip = flag("lstrip", false);
    t.rstrip = flag("rstrip", false);
    t.singleWord = flag("single_word", false);
    t.normalized = flag("normalized", !t.special);
    return t;
}

// The special-token pair a RobertaProcessing/BertProcessing entry names: ["<s>", 0].
Result<int> processorTokenId(const json &pp, const char *key, const std::string &path)
{
    if (!pp.contains(key) || !pp[key].is_array() || pp[key].size() != 2 || !pp[key][1].is_number_integer())
        return makeError(
            ErrorCode::Parse, std::string("post_processor.") + key + " must be [token, id]", path);
    return pp[key][1].get<int>();
}

void readCleanUpFlag(const json &cfg, bool *cleanUp)
{
    if (cfg.contains("clean_up_tokenization_spaces") && cfg["clean_up_tokenization_spaces"].is_boolean())
        *cleanUp = cfg["clean_up_tokenization_spaces"].get<bool>();
}

} // namespace

BpeTokenizer::BpeTokenizer(std::shared_ptr<const State> state)
    : m_state(std::move(state))
{
}

Result<BpeTokenizer> BpeTokenizer::fromTokenizerJson(const std::string &path)
{
    auto doc = readJson(path);
    if (!doc)
        return doc.error();
    const json &j = *doc;
    try {
        auto state = std::make_shared<State>();
        if (!j.contains("model") || !j["model"].is_object())
            return makeError(ErrorCode::Parse, "no 'model' object", path);
        const json &model = j["model"];
        if (model.value("type", std::string("BPE")) != "BPE")
            return unsupported(path, "model type '" + model["type"].get<std::string>() + "'");
        if (model.contains("dropout") && !model["dropout"].is_null())
            return unsupported(path, "BPE dropout");
        if (model.value("byte_fallback", false))
            return unsupported(path, "byte_fallback");
        for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
            if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty())
                return unsupported(path, std::string("a non-empty ") + key);
        if (j.contains("normalizer") && !j["normalizer"].is_null())
            return unsupported(path, "a normalizer");
        const json pre = j.value("pre_tokenizer", json());
        if (!pre.is_object() || pre.value("type", std::string()) != "ByteLevel")
            return unsupported(path, "a pre-tokenizer other than ByteLevel");
        state->addPrefixSpace = pre.value("add_prefix_space", false);
        state->useRegex = pre.value("use_regex", true);

        if (!model.contains("vocab") || !model.contains("merges"))
            return makeError(ErrorCode::Parse, "model needs 'vocab' and 'merges'", path);
        auto vocab = parseVocab(model["vocab"], path);
        if (!vocab)
            return vocab.error();
        auto merges = parseMergesJson(model["merges"], path);
        if (!merges)
            return merges.error();
        auto bpe = BpeModel::create(*vocab, *merges, path);
        if (!bpe)
            return bpe.error();
        state->model = *bpe;

        if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
            for (const json &a : j["added_tokens"]) {
                if (!a.contains("id") || !a["id"].is_number_integer())
                    return makeError(
                        ErrorCode::Parse, "an added token has no integer 'id': " + a.dump(), path);
                auto tok = parseAddedToken(a, a["id"].get<int>(), path);
                if (!tok)
                    return tok.error();
                state->added.add(*tok);
            }
        }

        const json pp = j.value("post_processor", json());
        if (pp.is_object()) {
            const std::string type = pp.value("type", std::string());
            if (type != "RobertaProcessing" && type != "BertProcessing")
                return unsupported(path, "post-processor '" + type + "'");
            auto cls = processorTokenId(pp, "cls", path);
            auto sep = processorTokenId(pp, "sep", path);
            if (!cls)
                return cls.error();
            if (!sep)
                return sep.error();
            state->clsId = *cls;
            state->sepId = *sep;
        }
        state->padId = state->added.idOf("<pad>").value_or(state->model->idOf("<pad>").value_or(-1));
        return BpeTokenizer(state);
    } catch (const json::exception &e) {
        return makeError(
            ErrorCode::Parse, std::string("unexpected tokenizer.json structure: ") + e.what(), path);
    }
}

Result<BpeTokenizer> BpeTokenizer::fromVocabAndMerges(const std::string &vocabJson,
    const std::string &mergesTxt, const std::string &addedTokensJson, const std::string &tokenizerConfigJson)
{
    auto vocabDoc = readJson(vocabJson);
    if (!vocabDoc)
        return vocabDoc.error();
    auto vocab = parseVocab(*vocabDoc, vocabJson);
    if (!vocab)
        return vocab.error();
    auto merges = parseMergesTxt(mergesTxt);
    if (!merges)
        return merges.error();
    auto bpe = BpeModel::create(*vocab, *merges, vocabJson);
    if (!bpe)
        return bpe.error();

    auto state = std::make_shared<State>();
    state->model = *bpe;
    // BartTokenizer's own special tokens, present in the BART vocabulary itself.
    for (const char *content : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}) {
        if (auto id = state->model->idOf(content)) {
            AddedToken t;
            t.id = *id;
            t.content = content;
            t.lstrip = std::string(content) == "<mask>";
            t.normalized = true;
            state->added.add(t);
        }
    }
    if (!addedTokensJson.empty()) {
        auto doc = readJson(addedTokensJson);
        if (!doc)
            return doc.error();
        if (!doc->is_object())
            return makeError(ErrorCode::Parse, "expected a JSON object of token -> id", addedTokensJson);
        // Florence2Processor adds these with add_special_tokens(): special, not normalized.
        for (auto it = doc->begin(); it != doc->end(); ++it) {
            if (!it.value().is_number_integer())
                return makeError(
                    ErrorCode::Parse, "added token '" + it.key() + "' has no integer id", addedTokensJson);
            AddedToken t;
            t.id = it.value().get<int>();
            t.content = it.key();
            state->added.add(t);
        }
    }
    if (!tokenizerConfigJson.empty()) {
        auto cfg = readJson(tokenizerConfigJson);
        if (!cfg)
            return cfg.error();
        readCleanUpFlag(*cfg, &state->cleanUp);
        if (cfg->contains("added_tokens_decoder") && (*cfg)["added_tokens_decoder"].is_object()) {
            const json &dec = (*cfg)["added_tokens_decoder"];
            for (auto it = dec.begin(); it != dec.end(); ++it) {
                int id = 0;
                try {
                    id = std::stoi(it.key());
                } catch (const std::exception &) {
                    return makeError(ErrorCode::Parse,
                        "added_tokens_decoder key '" + it.key() + "' is not an id", tokenizerConfigJson);
                }
                auto tok = parseAddedToken(it.value(), id, tokenizerConfigJson);
                if (!tok)
                    return tok.error();
                state->added.add(*tok);
            }
        }
        if (cfg->contains("add_prefix_space") && (*cfg)["add_prefix_space"].is_boolean())
            state->addPrefixSpace = (*cfg)["add_prefix_space"].get<bool>();
    }
    auto idOf = [&](const char *token) {
        return state->added.idOf(token).value_or(state->model->idOf(token).value_or(-1));
    };
    state->clsId = idOf("<s>");
    state->sepId = idOf("</s>");
    state->padId = idOf("<pad>");
    return BpeTokenizer(state);
}

Result<BpeTokenizer> BpeTokenizer::fromDirectory(const std::string &dir)
{
    const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    const std::string config = base + "tokenizer_config.json";
    if (fileExists(base + "tokenizer.json")) {
        auto tok = fromTokenizerJson(base + "tokenizer.json");
        if (!tok || !fileExists(config))
            return tok;
        auto cfg = readJson(config);
        if (!cfg)
            return cfg.error();
        auto state = std::make_shared<State>(*tok->m_state);
        readCleanUpFlag(*cfg, &state->cleanUp);
        return BpeTokenizer(state);
    }
    if (!fileExists(base + "vocab.json") || !fileExists(base + "merges.txt"))
        return makeError(ErrorCode::Io,
            "no tokenizer found: the folder needs tokenizer.json, or vocab.json and merges.txt "
            "(as in a Hugging Face Florence-2 model folder)",
            dir);
    return fromVocabAndMerges(base + "vocab.json", base + "merges.txt",
        fileExists(base + "added_tokens.json") ? base + "added_tokens.json" : std::string(),
        fileExists(config) ? config : std::string());
}

void BpeTokenizer::encodeInto(std::string_view text, bool addSpecialTokens, std::vector<int> *ids,
    std::vector<std::string> *tokens) const
{
    const State &s = *m_state;
    std::string repaired;
    if (!isValidUtf8(text)) {
        repaired = toValidUtf8(text);
        text = repaired;
    }
    auto push = [&](int id, std::string_view tokenText) {
        ids->push_back(id);
        if (tokens)
            tokens->emplace_back(tokenText);
    };
    if (addSpecialTokens && s.clsId >= 0)
        push(s.clsId, s.added.byId(s.clsId) ? s.added.byId(s.clsId)->content : idToToken(s.clsId));

    std::vector<std::pair<size_t, size_t>> ranges;
    std::string prefixed;
    for (const AddedVocabulary::Piece &piece : s.added.split(text)) {
        std::string_view part = text.substr(piece.begin, piece.end - piece.begin);
        if (piece.id >= 0) {
            push(piece.id, part);
            continue;
        }
        if (s.addPrefixSpace && !part.empty() && part.front() != ' ') {
            prefixed = " ";
            prefixed.append(part);
            part = prefixed;
        }
        ranges.clear();
        if (s.useRegex)
            ByteLevel::split(part, &ranges);
        else if (!part.empty())
            ranges.emplace_back(0, part.size());
        for (const auto &[b, e] : ranges) {
            const size_t before = ids->size();
            s.model->tokenize(part.substr(b, e - b), ids);
            if (tokens)
                for (size_t i = before; i < ids->size(); ++i)
                    tokens->push_back(*s.model->token((*ids)[i]));
        }
    }
    if (addSpecialTokens && s.sepId >= 0)
        push(s.sepId, s.added.byId(s.sepId) ? s.added.byId(s.sepId)->content : idToToken(s.sepId));
}

std::vector<int> BpeTokenizer::encode(std::string_view text, bool addSpecialTokens) const
{
    std::vector<int> ids;
    ids.reserve(text.size() / 3 + 2);
    encodeInto(text, addSpecialTokens, &ids, nullptr);
    return ids;
}

Encoding BpeTokenizer::encodeWithTokens(std::string_view text, bool addSpecialTokens) const
{
    Encoding enc;
    encodeInto(text, addSpecialTokens, &enc.ids, &enc.tokens);
    return enc;
}

std::string BpeTokenizer::decode(const std::vector<int> &ids, bool skipSpecialTokens) const
{
    return decode(ids, skipSpecialTokens, m_state->cleanUp);
}

std::string BpeTokenizer::decode(
    const std::vector<int> &ids, bool skipSpecialTokens, bool cleanUpTokenizationSpaces) const
{
    const State &s = *m_state;
    // Added tokens are copied as written; vocabulary tokens go back through the byte map.
    std::string bytes;
    for (int id : ids) {
        if (const AddedToken *a = s.added.byId(id)) {
            if (!(skipSpecialTokens && a->special))
                bytes += a->content;
        } else if (const std::string *b = s.model->bytes(id)) {
            bytes += *b;
        }
    }
    std::string text = isValidUtf8(bytes) ? std::move(bytes) : toValidUtf8(bytes);
    return cleanUpTokenizationSpaces ? cleanUpTokenization(std::move(text)) : text;
}

std::string BpeTokenizer::cleanUpTokenization(std::string text)
{
    static const std::pair<const char *, const char *> kReplacements[] = {
        {" .", "."},
        {" ?", "?"},
        {" !", "!"},
        {" ,", ","},
        {" ' ", "'"},
        {" n't", "n't"},
        {" 'm", "'m"},
        {" 's", "'s"},
        {" 've", "'ve"},
        {" 're", "'re"},
    };
    for (const auto &[from, to] : kReplacements) {
        const std::string f(from);
        std::string out;
        out.reserve(text.size());
        size_t pos = 0;
        for (size_t hit; (hit = text.find(f, pos)) != std::string::npos; pos = hit + f.size()) {
            out.append(text, pos, hit - pos);
            out += to;
        }
        out.append(text, pos, std::string::npos);
        text.swap(out);
    }
    return text;
}

std::optional<int> BpeTokenizer::tokenToId(std::string_view token) const
{
    if (auto id = m_state->added.idOf(token))
        return id;
    return m_state->model->idOf(token);
}

std::string BpeTokenizer::idToToken(int id) const
{
    if (const AddedToken *a = m_state->added.byId(id))
        return a->content;
    const std::string *t = m_state->model->token(id);
    return t ? *t : std::string();
}

bool BpeTokenizer::isSpecial(int id) const
{
    const AddedToken *a = m_state->added.byId(id);
    return a && a->special;
}

int BpeTokenizer::vocabSize() const
{
    int n = static_cast<int>(m_state->model->size());
    for (const AddedToken &t : m_state->added.tokens())
        if (!m_state->model->token(t.id))
            ++n;
    return n;
}

int BpeTokenizer::bosTokenId() const
{
    return m_state->clsId;
}

int BpeTokenizer::eosTokenId() const
{
    return m_state->sepId;
}

int BpeTokenizer::padTokenId() const
{
    return m_state->padId;
}

bool BpeTokenizer::cleanUpTokenizationSpaces() const
{
    return m_state->cleanUp;
}

const AddedVocabulary &BpeTokenizer::addedVocabulary() const
{
    return m_state->added;
}

} // namespace fmw::text
