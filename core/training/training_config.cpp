#include "training/training_config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QRegularExpression>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace fmw::training {
namespace {

// ---------------------------------------------------------------------------------------------
// Reading scalars strictly: a quoted "6" is a string, not a number; 6.0 is not an integer.

bool isQuotedOrString(const YAML::Node &node)
{
    return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

// How `node` reads in a message: `"abc"`, `a list`, `empty`.
std::string describe(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return "empty";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a mapping";
    case YAML::NodeType::Scalar:
        break;
    }
    if (isQuotedOrString(node))
        return "the quoted string \"" + node.Scalar() + "\" (remove the quotes)";
    return "\"" + node.Scalar() + "\"";
}

bool plainScalar(const YAML::Node &node, QByteArray &text)
{
    if (!node.IsScalar() || isQuotedOrString(node))
        return false;
    text = QByteArray::fromStdString(node.Scalar()).trimmed();
    return true;
}

std::optional<int64_t> readInt(const YAML::Node &node)
{
    static const QRegularExpression re(QStringLiteral("^[-+]?[0-9]+$"));
    QByteArray text;
    if (!plainScalar(node, text) || !re.match(QString::fromLatin1(text)).hasMatch())
        return std::nullopt;
    bool ok = false;
    const qlonglong v = text.toLongLong(&ok);
    return ok ? std::optional<int64_t>(v) : std::nullopt;
}

std::optional<uint64_t> readUnsigned(const YAML::Node &node)
{
    static const QRegularExpression re(QStringLiteral("^\\+?[0-9]+$"));
    QByteArray text;
    if (!plainScalar(node, text) || !re.match(QString::fromLatin1(text)).hasMatch())
        return std::nullopt;
    bool ok = false;
    const qulonglong v = text.toULongLong(&ok);
    return ok ? std::optional<uint64_t>(v) : std::nullopt;
}

// A finite decimal number (YAML 1.2 core float syntax; .inf and .nan are refused).
std::optional<double> readDouble(const YAML::Node &node)
{
    static const QRegularExpression re(
        QStringLiteral("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"));
    QByteArray text;
    if (!plainScalar(node, text) || !re.match(QString::fromLatin1(text)).hasMatch())
        return std::nullopt;
    bool ok = false;
    const double v = text.toDouble(&ok); // C locale, whatever the process locale is
    return ok && std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::optional<bool> readBool(const YAML::Node &node)
{
    QByteArray text;
    if (!plainScalar(node, text))
        return std::nullopt;
    text = text.toLower();
    if (text == "true" || text == "yes" || text == "on")
        return true;
    if (text == "false" || text == "no" || text == "off")
        return false;
    return std::nullopt;
}

std::optional<std::string> readString(const YAML::Node &node)
{
    if (node.IsNull())
        return std::string();
    if (!node.IsScalar())
        return std::nullopt;
    return node.Scalar();
}

// ---------------------------------------------------------------------------------------------
// Writing values so that they read back identically.

std::string formatDouble(double v)
{
    QByteArray s = QByteArray::number(v, 'g', QLocale::FloatingPointShortest);
    // Always with a '.', so YAML 1.1 readers (PyYAML) see a float too: 1e-06 -> 1.0e-06.
    if (!s.contains('.')) {
        const qsizetype e = s.indexOf('e');
        if (e < 0)
            s += ".0";
        else
            s.insert(e, ".0");
    }
    return s.toStdString();
}

// `s` as a YAML scalar: plain when that is unambiguous, else double-quoted.
std::string yamlString(const std::string &s, bool inFlow)
{
    static const QRegularExpression plainBlock(QStringLiteral("^[A-Za-z0-9_/.<][A-Za-z0-9_/.<>@+~:-]*$"));
    static const QRegularExpression plainFlow(QStringLiteral("^[A-Za-z0-9_/.<][A-Za-z0-9_/.<>@+~-]*$"));
    static const QRegularExpression special(
        QStringLiteral("^(~|null|true|false|yes|no|on|off|y|n|[-+]?(\\.[0-9]+|[0-9][0-9._]*)([eE][-+]?[0-9]+)"
                       "?|[-+]?\\.(inf|nan))$"),
        QRegularExpression::CaseInsensitiveOption);
    const QString q = QString::fromStdString(s);
    if ((inFlow ? plainFlow : plainBlock).match(q).hasMatch() && !special.match(q).hasMatch()
        && !q.endsWith(QLatin1Char(':')))
        return s;
    std::string out = "\"";
    for (const unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                static const char hex[] = "0123456789abcdef";
                out += "\\x";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += char(c);
            }
        }
    }
    return out + "\"";
}

std::string yamlList(const std::vector<std::string> &items)
{
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? ", " : "") + yamlString(items[i], true);
    return out + "]";
}

std::string joined(const std::vector<std::string> &items, const char *separator = ", ")
{
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? separator : "") + items[i];
    return out;
}

// ---------------------------------------------------------------------------------------------
// The key table: one entry per key, reading (with validation) and writing its value.

// Reads `node` into the options; returns what is wrong (after "key: ") or nothing.
using ReadFn = std::function<std::optional<std::string>(const YAML::Node &, TrainingOptions &)>;
using WriteFn = std::function<std::string(const TrainingOptions &)>;

struct KeySpec {
    std::string key;
    ReadFn read;
    WriteFn write;
};

std::string notValue(const std::string &allowed, const YAML::Node &node)
{
    return allowed + ", not " + describe(node);
}

KeySpec intKey(std::string key, int64_t TrainingOptions::*member, int64_t min, int64_t max)
{
    const std::string allowed = max == std::numeric_limits<int64_t>::max()
        ? "must be an integer >= " + std::to_string(min)
        : "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    return {std::move(key),
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            const auto v = readInt(node);
            if (!v || *v < min || *v > max)
                return notValue(allowed, node);
            o.*member = *v;
            return std::nullopt;
        },
        [=](const TrainingOptions &o) { return std::to_string(o.*member); }};
}

// A finite number in a range; `max` infinite means unbounded above.
KeySpec doubleKey(std::string key, double TrainingOptions::*member, double min, bool minInclusive,
    double max = std::numeric_limits<double>::infinity(), bool maxInclusive = false)
{
    const auto num
        = [](double v) { return QByteArray::number(v, 'g', QLocale::FloatingPointShortest).toStdString(); };
    const std::string allowed = std::isinf(max)
        ? "must be a finite number " + std::string(minInclusive ? ">= " : "> ") + num(min)
        : "must be a number in " + std::string(minInclusive ? "[" : "(") + num(min) + ", " + num(max)
            + (maxInclusive ? "]" : ")");
    return {std::move(key),
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            const auto v = readDouble(node);
            if (!v || (minInclusive ? *v < min : *v <= min) || (maxInclusive ? *v > max : *v >= max))
                return notValue(allowed, node);
            o.*member = *v;
            return std::nullopt;
        },
        [=](const TrainingOptions &o) { return formatDouble(o.*member); }};
}

KeySpec boolKey(std::string key, bool TrainingOptions::*member)
{
    return {std::move(key),
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            const auto v = readBool(node);
            if (!v)
                return notValue("must be true or false", node);
            o.*member = *v;
            return std::nullopt;
        },
        [=](const TrainingOptions &o) { return std::string(o.*member ? "true" : "false"); }};
}

KeySpec choiceKey(std::string key, std::string TrainingOptions::*member, std::vector<std::string> choices)
{
    const std::string allowed = "must be one of " + joined(choices);
    return {std::move(key),
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            const auto v = node.IsNull() ? std::nullopt : readString(node);
            if (!v || std::find(choices.begin(), choices.end(), *v) == choices.end())
                return notValue(allowed, node);
            o.*member = *v;
            return std::nullopt;
        },
        [=](const TrainingOptions &o) { return yamlString(o.*member, false); }};
}

// A path or model reference; resolution against the project root happens after reading.
KeySpec pathKey(std::string key, std::string TrainingOptions::*member, std::string allowed, bool optional)
{
    return {std::move(key),
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            const auto v = readString(node);
            if (!v || (!optional && v->empty()))
                return notValue(allowed, node);
            o.*member = *v;
            return std::nullopt;
        },
        [=](const TrainingOptions &o) { return yamlString(o.*member, false); }};
}

// A list of non-empty strings without repeats (empty: the YAML value is empty or []), each
// one of `choices` unless that is empty.
KeySpec listKey(std::string key, std::vector<std::string> TrainingOptions::*member,
    std::vector<std::string> choices, std::string example)
{
    const std::string allowed = choices.empty()
        ? "must be a list of names such as " + example
        : "must be a list of items among " + joined(choices) + " (e.g. " + example + ")";
    return {std::move(key),
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            if (node.IsNull()) {
                (o.*member).clear();
                return std::nullopt;
            }
            if (!node.IsSequence())
                return notValue(allowed, node);
            std::vector<std::string> items;
            for (const YAML::Node &item : node) {
                const auto v = item.IsNull() ? std::nullopt : readString(item);
                if (!v || v->empty()
                    || (!choices.empty() && std::find(choices.begin(), choices.end(), *v) == choices.end()))
                    return allowed + "; " + describe(item) + " is not allowed";
                if (std::find(items.begin(), items.end(), *v) != items.end())
                    return "lists \"" + *v + "\" twice";
                items.push_back(*v);
            }
            o.*member = std::move(items);
            return std::nullopt;
        },
        [=](const TrainingOptions &o) { return yamlList(o.*member); }};
}

KeySpec seedKey()
{
    const std::string allowed
        = "must be an integer from 0 to " + std::to_string(std::numeric_limits<uint64_t>::max());
    return {"seed",
        [=](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            const auto v = readUnsigned(node);
            if (!v)
                return notValue(allowed, node);
            o.seed = *v;
            return std::nullopt;
        },
        [](const TrainingOptions &o) { return std::to_string(o.seed); }};
}

KeySpec deviceKey()
{
    return {"device",
        [](const YAML::Node &node, TrainingOptions &o) -> std::optional<std::string> {
            static const QRegularExpression re(QStringLiteral("^(cpu|cuda|cuda:[0-9]{1,3})$"));
            const auto v = node.IsNull() ? std::nullopt : readString(node);
            if (!v || !re.match(QString::fromStdString(*v)).hasMatch())
                return notValue("must be cpu, cuda or cuda:N (N a GPU index, e.g. cuda:0)", node);
            o.device = *v;
            return std::nullopt;
        },
        [](const TrainingOptions &o) { return yamlString(o.device, false); }};
}

const std::vector<std::string> &freezableComponents()
{
    static const std::vector<std::string> components {"vision_tower", "projector", "encoder", "decoder"};
    return components;
}

const std::vector<KeySpec> &keySpecs()
{
    using O = TrainingOptions;
    constexpr int64_t unbounded = std::numeric_limits<int64_t>::max();
    static const std::vector<KeySpec> specs {
        // The original train.py's keys.
        pathKey("train_json", &O::trainJson, "must be the path of a JSONL file", false),
        pathKey("val_json", &O::valJson, "must be the path of a JSONL file (or empty: no validation)", true),
        pathKey("image_dir", &O::imageDir, "must be the path of the images folder", false),
        pathKey("model_name", &O::modelName,
            "must be a model folder or a hub id such as microsoft/Florence-2-base-ft", false),
        pathKey("processor_name", &O::processorName,
            "must be a processor folder or hub id (or empty: the same as model_name)", true),
        intKey("batch_size", &O::batchSize, 1, 4096),
        intKey("epochs", &O::epochs, 1, 100000),
        doubleKey("lr", &O::lr, 0.0, false),
        listKey("lora_target_modules", &O::loraTargetModules, {}, "[q_proj, k_proj, v_proj, out_proj]"),
        // Extensions.
        pathKey("output_dir", &O::outputDir, "must be the path of the run's output folder", false),
        choiceKey("finetune", &O::finetune, {"lora", "full"}),
        boolKey("random_init", &O::randomInit),
        intKey("lora_r", &O::loraR, 1, 1024),
        doubleKey("lora_alpha", &O::loraAlpha, 0.0, false),
        doubleKey("lora_dropout", &O::loraDropout, 0.0, true, 1.0, false),
        boolKey("use_rslora", &O::useRslora),
        listKey("freeze", &O::freeze, freezableComponents(), "[vision_tower]"),
        doubleKey("weight_decay", &O::weightDecay, 0.0, true),
        doubleKey("adam_beta1", &O::adamBeta1, 0.0, true, 1.0, false),
        doubleKey("adam_beta2", &O::adamBeta2, 0.0, true, 1.0, false),
        doubleKey("adam_epsilon", &O::adamEpsilon, 0.0, false),
        choiceKey("lr_scheduler", &O::lrScheduler, {"linear", "cosine", "constant"}),
        intKey("warmup_steps", &O::warmupSteps, 0, unbounded),
        doubleKey("warmup_ratio", &O::warmupRatio, 0.0, true, 1.0, false),
        intKey("gradient_accumulation_steps", &O::gradientAccumulationSteps, 1, 65536),
        intKey("micro_batch_threads", &O::microBatchThreads, 1, 64),
        doubleKey("max_grad_norm", &O::maxGradNorm, 0.0, true),
        seedKey(),
        deviceKey(),
        choiceKey("precision", &O::precision, {"auto", "fp32", "bf16", "fp16"}),
        intKey("threads", &O::threads, 0, 4096),
        doubleKey("dist_timeout", &O::distTimeoutSeconds, 0.0, false),
        intKey("num_workers", &O::numWorkers, 0, 256),
        intKey("prefetch_batches", &O::prefetchBatches, 1, 1024),
        listKey("prefixes", &O::prefixes, {}, "[<CAPTION>, <OD>]"),
        intKey("max_target_tokens", &O::maxTargetTokens, 0, 1000000),
        intKey("preview_samples", &O::previewSamples, 0, 1000),
        intKey("keep_last_checkpoints", &O::keepLastCheckpoints, 0, unbounded),
        intKey("early_stopping_patience", &O::earlyStoppingPatience, 0, unbounded),
        doubleKey("early_stopping_min_delta", &O::earlyStoppingMinDelta, 0.0, true),
        intKey("max_bad_steps", &O::maxBadSteps, 1, unbounded),
        intKey("log_every_steps", &O::logEverySteps, 1, unbounded),
    };
    return specs;
}

const KeySpec *findSpec(const std::string &key)
{
    for (const KeySpec &spec : keySpecs())
        if (spec.key == key)
            return &spec;
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Unknown keys: did you mean ...?

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ASCII-folded.
int editDistance(const std::string &a, const std::string &b)
{
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    const size_t n = a.size(), m = b.size();
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
    for (size_t i = 0; i <= n; ++i)
        d[i][0] = int(i);
    for (size_t j = 0; j <= m; ++j)
        d[0][j] = int(j);
    for (size_t i = 1; i <= n; ++i) {
        for (size_t j = 1; j <= m; ++j) {
            const int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::string unknownKeyMessage(const std::string &key)
{
    // Names other trainers (transformers, PEFT) use for the same settings.
    static const std::map<std::string, std::string> aliases {
        {"learning_rate", "lr"},
        {"num_train_epochs", "epochs"},
        {"num_epochs", "epochs"},
        {"per_device_train_batch_size", "batch_size"},
        {"train_batch_size", "batch_size"},
        {"target_modules", "lora_target_modules"},
        {"r", "lora_r"},
        {"lora_rank", "lora_r"},
        {"lr_scheduler_type", "lr_scheduler"},
        {"scheduler", "lr_scheduler"},
        {"dtype", "precision"},
        {"torch_dtype", "precision"},
        {"mixed_precision", "precision"},
        {"output", "output_dir"},
        {"images_dir", "image_dir"},
    };
    std::string best;
    if (const auto it = aliases.find(key); it != aliases.end()) {
        best = it->second;
    } else {
        int bestDistance = std::numeric_limits<int>::max();
        for (const KeySpec &spec : keySpecs()) {
            const int d = editDistance(key, spec.key);
            if (d < bestDistance) {
                bestDistance = d;
                best = spec.key;
            }
        }
        if (bestDistance > std::max<int>(2, int(key.size()) / 3))
            best.clear();
    }
    std::string message = "unknown key '" + key + "'";
    if (!best.empty())
        return message + "; did you mean '" + best + "'?";
    std::vector<std::string> keys;
    for (const KeySpec &spec : keySpecs())
        keys.push_back(spec.key);
    return message + "; valid keys: " + joined(keys);
}

// ---------------------------------------------------------------------------------------------
// Loading.

// Where a value came from: a line of the file, or a --set argument.
struct Source {
    std::string file;
    int line = 0; // 1-based; 0 when unknown
    std::string setArgument; // "key=value" for an override, else empty
};

struct Entry {
    const KeySpec *spec = nullptr;
    YAML::Node value;
    Source source;
};

Error errorAt(ErrorCode code, const Source &source, std::string message)
{
    if (!source.setArgument.empty())
        return makeError(code, message + " (from --set " + source.setArgument + ")");
    return makeError(code, std::move(message), source.file, source.line);
}

int lineOf(const YAML::Mark &mark)
{
    return mark.is_null() || mark.line < 0 ? 0 : mark.line + 1;
}

QString expandHome(const QString &path)
{
    if (path == QLatin1String("~") || path.startsWith(QLatin1String("~/")))
        return QDir::homePath() + path.mid(1);
    return path;
}

std::string resolvePath(const QDir &root, const std::string &value)
{
    if (value.empty())
        return value;
    return QDir::cleanPath(root.absoluteFilePath(expandHome(QString::fromStdString(value)))).toStdString();
}

// A model or processor reference: a folder (resolved like any path) or a hub id, kept as is.
// An "org/name[@revision]" that is not an existing folder under the root is a hub id.
std::string resolveModel(const QDir &root, const std::string &value)
{
    static const QRegularExpression hubId(
        QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(@[A-Za-z0-9._/-]+)?$"));
    const QString v = QString::fromStdString(value);
    if (value.empty() || QDir::isAbsolutePath(expandHome(v)) || QFileInfo::exists(root.absoluteFilePath(v))
        || !hubId.match(v).hasMatch())
        return resolvePath(root, value);
    return value;
}

Result<YAML::Node> parseDocument(const QString &path)
{
    const std::string file = QDir::toNativeSeparators(path).toStdString();
    QFile f(path);
    if (!QFileInfo::exists(path))
        return makeError(ErrorCode::Io, "training config not found", file);
    if (!f.open(QIODevice::ReadOnly))
        return makeError(
            ErrorCode::Io, "cannot read the training config: " + f.errorString().toStdString(), file);
    const QByteArray bytes = f.readAll();
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(bytes.toStdString());
    } catch (const YAML::Exception &e) {
        return makeError(ErrorCode::Parse, "YAML syntax error: " + e.msg, file, lineOf(e.mark));
    }
    if (documents.size() > 1)
        return makeError(ErrorCode::Parse,
            "holds " + std::to_string(documents.size()) + " YAML documents ('---'); a config is one mapping",
            file);
    if (documents.empty() || documents.front().IsNull())
        return makeError(ErrorCode::Parse,
            "the config is empty; expected key: value lines such as "
            "'train_json: dataset/train.jsonl'",
            file);
    const YAML::Node &top = documents.front();
    if (!top.IsMap())
        return makeError(ErrorCode::Parse,
            "the top level must be a mapping of key: value lines, not "
                + std::string(top.IsSequence() ? "a list" : "a single value"),
            file, lineOf(top.Mark()));
    return top;
}

} // namespace

Result<TrainingOptions> loadTrainingConfig(const QString &path, const QStringList &overrides)
{
    const std::string file = QDir::toNativeSeparators(path).toStdString();
    auto document = parseDocument(path);
    if (!document)
        return document.error();

    // Collect the file's entries in order, refusing unknown and duplicate keys.
    std::vector<Entry> entries;
    std::map<std::string, size_t> index; // key -> position in `entries`
    for (auto it = document->begin(); it != document->end(); ++it) {
        const Source source {file, lineOf(it->first.Mark()), {}};
        if (!it->first.IsScalar())
            return errorAt(ErrorCode::Parse, source, "keys must be plain names such as 'batch_size'");
        const std::string key = it->first.Scalar();
        const KeySpec *spec = findSpec(key);
        if (!spec)
            return errorAt(ErrorCode::InvalidArgument, source, unknownKeyMessage(key));
        if (const auto seen = index.find(key); seen != index.end())
            return errorAt(ErrorCode::Parse, source,
                "duplicate key '" + key + "' (first set on line "
                    + std::to_string(entries[seen->second].source.line) + ")");
        index[key] = entries.size();
        entries.push_back({spec, it->second, source});
    }

    // Overrides replace the file's value (a later one wins).
    for (const QString &argument : overrides) {
        const std::string arg = argument.toStdString();
        Source source {{}, 0, arg};
        const qsizetype eq = argument.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return makeError(ErrorCode::InvalidArgument,
                "--set expects key=value (e.g. --set batch_size=4), not '" + arg + "'");
        const std::string key = argument.left(eq).trimmed().toStdString();
        const KeySpec *spec = findSpec(key);
        if (!spec)
            return errorAt(ErrorCode::InvalidArgument, source, unknownKeyMessage(key));
        YAML::Node value;
        try {
            value = YAML::Load(argument.mid(eq + 1).toStdString());
        } catch (const YAML::Exception &e) {
            return errorAt(ErrorCode::Parse, source, key + ": cannot read the value as YAML: " + e.msg);
        }
        if (const auto seen = index.find(key); seen != index.end()) {
            entries[seen->second] = {spec, value, source};
        } else {
            index[key] = entries.size();
            entries.push_back({spec, value, source});
        }
    }

    TrainingOptions options;
    for (const Entry &entry : entries) {
        if (auto problem = entry.spec->read(entry.value, options))
            return errorAt(ErrorCode::InvalidArgument, entry.source, entry.spec->key + ": " + *problem);
    }

    // Required keys, then rules that involve several keys.
    for (const char *key : {"train_json", "image_dir", "model_name"}) {
        if (!index.count(key))
            return makeError(ErrorCode::InvalidArgument,
                std::string("missing required key '") + key + "' (see configs/config.yaml)", file);
    }
    const auto sourceOf = [&](const char *key) {
        const auto it = index.find(key);
        return it == index.end() ? Source {file, 0, {}} : entries[it->second].source;
    };
    if (options.finetune == "lora" && options.loraTargetModules.empty())
        return errorAt(ErrorCode::InvalidArgument,
            sourceOf(index.count("lora_target_modules") ? "lora_target_modules" : "finetune"),
            "lora_target_modules: must be a non-empty list of module names such as [q_proj, v_proj] when "
            "finetune is lora");
    if (options.freeze.size() == freezableComponents().size())
        return errorAt(ErrorCode::InvalidArgument, sourceOf("freeze"),
            "freeze: freezes every component (" + joined(freezableComponents()) + "); nothing would train");

    // Defaults that depend on other keys, and paths against the project root.
    if (options.processorName.empty())
        options.processorName = options.modelName;
    const QDir root(QDir::cleanPath(QFileInfo(path).absoluteDir().absoluteFilePath(QStringLiteral(".."))));
    for (std::string *p : {&options.trainJson, &options.valJson, &options.imageDir, &options.outputDir})
        *p = resolvePath(root, *p);
    options.modelName = resolveModel(root, options.modelName);
    options.processorName = resolveModel(root, options.processorName);
    return options;
}

QByteArray trainingConfigYaml(const TrainingOptions &options)
{
    std::string out
        = "# Florence Medical Workbench training configuration, resolved: every key, paths absolute.\n";
    for (const KeySpec &spec : keySpecs())
        out += spec.key + ": " + spec.write(options) + "\n";
    return QByteArray::fromStdString(out);
}

QStringList differingKeys(const TrainingOptions &a, const TrainingOptions &b)
{
    QStringList keys;
    for (const KeySpec &spec : keySpecs())
        if (spec.write(a) != spec.write(b))
            keys << QString::fromStdString(spec.key);
    return keys;
}

QStringList trainingConfigKeys()
{
    QStringList keys;
    for (const KeySpec &spec : keySpecs())
        keys << QString::fromStdString(spec.key);
    return keys;
}

} // namespace fmw::training
