// florence-cli's engine commands end to end on the tiny fixture and the real tokenizer:
// forward and generate reproduce the golden tensors, tokenize/detokenize/postprocess the
// tokenizer goldens, predict runs image -> text -> parsed answer, and bad input exits 1 with
// a message naming the file.

#include "common/cli_run.h"
#include "common/test_support.h"
#include "engine/text/safetensors_test_reader.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

using Run = fmwtest::CliRun;

Run cli(const QStringList &args, const QByteArray &stdinData = {})
{
    return fmwtest::runCli(args, stdinData);
}

QString tiny()
{
    return fmwtest::sharedPath(QStringLiteral("fixtures/florence2-tiny"));
}

QString tokenizerDir()
{
    return fmwtest::sharedPath(QStringLiteral("fixtures/florence2-tokenizer"));
}

std::map<std::string, fmwtest::GoldenTensor> tensors(const QString &path)
{
    std::string error;
    auto t = fmwtest::readSafetensors(path.toStdString(), &error);
    if (t.empty())
        qFatal("%s", error.c_str());
    return t;
}

// max |actual - expected| and max |expected| over two float32 tensors of one shape.
std::pair<double, double> maxError(const fmwtest::GoldenTensor &actual, const fmwtest::GoldenTensor &expected)
{
    const auto a = actual.values<float>(), b = expected.values<float>();
    double err = 0, scale = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        scale = std::max(scale, std::abs(double(b[i])));
        err = std::max(err, std::abs(double(a[i]) - double(b[i])));
    }
    return {err, scale};
}

QList<QJsonObject> jsonLines(const QByteArray &bytes)
{
    QList<QJsonObject> rows;
    for (const QByteArray &line : bytes.split('\n')) {
        if (!line.trimmed().isEmpty())
            rows.push_back(QJsonDocument::fromJson(line).object());
    }
    return rows;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

} // namespace

class TestCliEngine : public QObject {
    Q_OBJECT
private slots:
    void forwardWritesEveryGoldenTensor();
    void generateGreedyAndBeams();
    void tokenizeAndDetokenizeGoldens();
    void postprocessGoldens();
    void predictRunsImageToAnswer();
    void badInputIsReported();
};

void TestCliEngine::forwardWritesEveryGoldenTensor()
{
    QTemporaryDir dir;
    const QString golden = tiny() + QStringLiteral("/golden.safetensors");
    const QString out = dir.filePath(QStringLiteral("out.safetensors"));
    const Run r = cli({"forward", "--model", tiny(), "--inputs", golden, "--out", out});
    QVERIFY2(r.code == 0, r.err.constData());
    const auto expected = tensors(golden);
    const auto actual = tensors(out);
    int compared = 0;
    for (const auto &[name, e] : expected) {
        if (e.dtype != "F32" || name.rfind("grad.", 0) == 0 || name.rfind("gen.", 0) == 0 || name == "pixel_values"
            || name.find("padmask") != std::string::npos || name == "loss_after_sgd_step")
            continue;
        const auto it = actual.find(name);
        QVERIFY2(it != actual.end(), ("forward did not write " + name).c_str());
        QVERIFY2(it->second.shape == e.shape, name.c_str());
        const auto [err, scale] = maxError(it->second, e);
        const double tolerance = name == "loss" ? 1e-5 * scale : 2e-5 * scale + 1e-6;
        QVERIFY2(err <= tolerance, (name + ": " + std::to_string(err)).c_str());
        ++compared;
    }
    QVERIFY2(compared >= 20, std::to_string(compared).c_str());

    // --prompt-mask: the transformers-native semantics, the fixture's *_padmask tensors
    const Run masked = cli({"forward", "--model", tiny(), "--prompt-mask", "--inputs", golden, "--out", out});
    QVERIFY2(masked.code == 0, masked.err.constData());
    const auto maskedOut = tensors(out);
    for (const std::string name : {"logits", "encoder_last_hidden_state", "loss"}) {
        const auto [err, scale] = maxError(maskedOut.at(name), expected.at(name + "_padmask"));
        QVERIFY2(err <= 2e-5 * scale + 1e-6, (name + "_padmask: " + std::to_string(err)).c_str());
    }
}

void TestCliEngine::generateGreedyAndBeams()
{
    QTemporaryDir dir;
    const QString golden = tiny() + QStringLiteral("/golden.safetensors");
    const auto expected = tensors(golden);
    struct Case {
        const char *name;
        QStringList options;
        const char *goldenIds; // null: beam search, check the shape and scores
    };
    const Case cases[] = {
        {"plain greedy",
            {"--num-beams", "1", "--no-repeat-ngram-size", "0", "--forced-bos-token-id", "-1", "--forced-eos-token-id",
                "-1"},
            "gen.greedy_ids"},
        {"greedy with the checkpoint's processors", {"--num-beams", "1"}, "gen.greedy_hf_ids"},
        {"beam search (checkpoint defaults)", {}, nullptr},
    };
    for (const Case &c : cases) {
        const QString out = dir.filePath(QStringLiteral("ids.safetensors"));
        const Run r = cli(QStringList {"generate", "--model", tiny(), "--inputs", golden, "--max-new-tokens", "20",
                              "--out", out}
            + c.options);
        QVERIFY2(r.code == 0, (c.name + std::string(": ") + r.err.constData()).c_str());
        const auto written = tensors(out);
        QVERIFY(written.count("ids"));
        const auto &ids = written.at("ids");
        QCOMPARE(ids.dtype, std::string("I64"));
        if (c.goldenIds) {
            QVERIFY2(ids.shape == expected.at(c.goldenIds).shape, c.name);
            QVERIFY2(ids.values<int64_t>() == expected.at(c.goldenIds).values<int64_t>(), c.name);
            QVERIFY2(!written.count("scores"), c.name);
        } else {
            QCOMPARE(ids.shape[0], int64_t(2));
            QVERIFY(written.count("scores"));
            for (float s : written.at("scores").values<float>())
                QVERIFY(std::isfinite(s) && s < 0);
        }
    }
}

void TestCliEngine::tokenizeAndDetokenizeGoldens()
{
    const QByteArray encodeLines = readFile(tokenizerDir() + QStringLiteral("/golden_encode.jsonl"));
    const QList<QJsonObject> cases = jsonLines(encodeLines);
    QCOMPARE(cases.size(), 300);
    // the golden lines carry "text" (and more); tokenize reads "text" only
    Run r = cli({"tokenize", "--tokenizer", tokenizerDir()}, encodeLines);
    QVERIFY2(r.code == 0, r.err.constData());
    const QList<QJsonObject> encoded = jsonLines(r.out);
    QCOMPARE(encoded.size(), cases.size());
    for (int i = 0; i < cases.size(); ++i)
        QVERIFY2(encoded[i]["ids"] == cases[i]["ids"], qPrintable(cases[i]["text"].toString()));

    const QByteArray decodeLines = readFile(tokenizerDir() + QStringLiteral("/golden_decode.jsonl"));
    const QList<QJsonObject> decodeCases = jsonLines(decodeLines);
    QCOMPARE(decodeCases.size(), 17);
    r = cli({"detokenize", "--tokenizer", tokenizerDir()}, decodeLines);
    QVERIFY2(r.code == 0, r.err.constData());
    QList<QJsonObject> decoded = jsonLines(r.out);
    QCOMPARE(decoded.size(), 17);
    for (int i = 0; i < 17; ++i)
        QCOMPARE(decoded[i]["text"].toString(), decodeCases[i]["decoded"].toString());
    r = cli({"detokenize", "--tokenizer", tokenizerDir(), "--skip-special-tokens"}, decodeLines);
    decoded = jsonLines(r.out);
    QCOMPARE(decoded.size(), 17);
    for (int i = 0; i < 17; ++i)
        QCOMPARE(decoded[i]["text"].toString(), decodeCases[i]["decoded_skip_special"].toString());
}

void TestCliEngine::postprocessGoldens()
{
    const QList<QJsonObject> cases
        = jsonLines(readFile(tokenizerDir() + QStringLiteral("/golden_postprocess.jsonl")));
    QVERIFY(cases.size() >= 29);
    int checked = 0;
    for (const QJsonObject &c : cases) {
        const QString task = c["task"].toString();
        const QJsonArray size = c["image_size"].toArray();
        const Run r = cli({"postprocess", "--task", task, "--image-size",
                              QStringLiteral("%1,%2").arg(size[0].toInt()).arg(size[1].toInt())},
            c["text"].toString().toUtf8());
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject got = QJsonDocument::fromJson(r.out).object();
        // JSON numbers: upstream's float32 coordinates compare as doubles after the round trip
        QVERIFY2(got[task] == c["expected"], qPrintable(c["id"].toString() + ": " + QString::fromUtf8(r.out)));
        ++checked;
    }
    QCOMPARE(checked, cases.size());
}

void TestCliEngine::predictRunsImageToAnswer()
{
    // The tiny model with a tokenizer whose ids fit its 300-token vocabulary: <s> <pad> </s>
    // <unk>, the 256 byte symbols, and 40 more tokens.
    QTemporaryDir dir;
    for (const char *name : {"config.json", "model.safetensors"})
        QVERIFY(QFile::copy(tiny() + "/" + name, dir.filePath(name)));
    QJsonObject vocab;
    int id = 0;
    for (const char *special : {"<s>", "<pad>", "</s>", "<unk>"})
        vocab[special] = id++;
    // GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to U+0100...
    int shifted = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        const char32_t cp = printable ? char32_t(b) : char32_t(256 + shifted++);
        vocab[QString::fromUcs4(&cp, 1)] = id++;
    }
    for (int i = 0; id < 300; ++i)
        vocab[QStringLiteral("tok%1").arg(i)] = id++;
    QFile v(dir.filePath(QStringLiteral("vocab.json")));
    QVERIFY(v.open(QIODevice::WriteOnly));
    v.write(QJsonDocument(vocab).toJson());
    v.close();
    QFile m(dir.filePath(QStringLiteral("merges.txt")));
    QVERIFY(m.open(QIODevice::WriteOnly));
    m.write("#version: 0.2\n");
    m.close();
    QFile p(dir.filePath(QStringLiteral("preprocessor_config.json")));
    QVERIFY(p.open(QIODevice::WriteOnly));
    p.write(R"({"crop_size": {"height": 64, "width": 64}, "size": {"height": 64, "width": 64},
        "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225], "do_resize": true,
        "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true, "resample": 3})");
    p.close();

    QImage image(80, 100, QImage::Format_RGB888);
    image.fill(QColor(90, 120, 150));
    const QString png = dir.filePath(QStringLiteral("xray.png"));
    QVERIFY(image.save(png));

    for (const QStringList &decoding : {QStringList {"--num-beams", "1"}, QStringList {}}) {
        const Run r = cli(QStringList {"predict", "--model", dir.path(), "--image", png, "--task", "<OD>",
                              "--max-new-tokens", "12", "--json"}
            + decoding);
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["task"].toString(), QStringLiteral("<OD>"));
        QCOMPARE(j["prompt"].toString(), QStringLiteral("Locate the objects with category name in the image."));
        QCOMPARE(j["image_size"].toArray(), (QJsonArray {80, 100}));
        const QJsonArray ids = j["ids"].toArray();
        QVERIFY(ids.size() >= 3 && ids.size() <= 13);
        QCOMPARE(ids[0].toInt(), 2); // decoder start
        QCOMPARE(ids[1].toInt(), 0); // forced <s>
        QVERIFY(j["generated_text"].toString().startsWith(QStringLiteral("</s><s>")));
        const QJsonObject parsed = j["parsed"].toObject()["<OD>"].toObject();
        QVERIFY(parsed.contains("bboxes") && parsed.contains("labels"));
        QCOMPARE(j["score"].isNull(), decoding.contains("1"));
    }
}

void TestCliEngine::badInputIsReported()
{
    QTemporaryDir dir;
    // a hub id that is not in the (empty) cache: the error lists the files and how to get them
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HF_HUB_CACHE"), dir.path());
    p.setProcessEnvironment(env);
    QImage image(8, 8, QImage::Format_Grayscale8);
    image.fill(0);
    const QString png = dir.filePath(QStringLiteral("x.png"));
    QVERIFY(image.save(png));
    p.start(QStringLiteral(FMW_CLI_PATH),
        {"predict", "--model", "microsoft/Florence-2-base", "--image", png, "--task", "<CAPTION>"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 1);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains("microsoft/Florence-2-base") && err.contains("config.json"), err.constData());
    QVERIFY2(err.contains("huggingface-cli download"), err.constData());

    // a truncated weights file: named in the error, exit 1, no crash
    QVERIFY(QFile::copy(tiny() + "/config.json", dir.filePath("config.json")));
    QByteArray weights = readFile(tiny() + "/model.safetensors");
    weights.truncate(weights.size() / 2);
    QFile w(dir.filePath(QStringLiteral("model.safetensors")));
    QVERIFY(w.open(QIODevice::WriteOnly));
    w.write(weights);
    w.close();
    Run r = cli({"forward", "--model", dir.path(), "--inputs", tiny() + "/golden.safetensors", "--out",
        dir.filePath(QStringLiteral("o.safetensors"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("model.safetensors"), r.err.constData());

    // inputs without the tensors forward needs
    r = cli({"forward", "--model", tiny(), "--inputs", tiny() + "/model.safetensors", "--out",
        dir.filePath(QStringLiteral("o.safetensors"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("pixel_values"), r.err.constData());

    // usage errors exit 2
    QCOMPARE(cli({"generate", "--model", tiny(), "--inputs", "x", "--out", "y"}).code, 2); // no --max-new-tokens
    QCOMPARE(cli({"predict", "--model", tiny(), "--image", png, "--dtype", "fp64"}).code, 2);
    QCOMPARE(cli({"postprocess", "--task", "<OD>", "--image-size", "10"}).code, 2);
    // fp16 on the CPU: a clear refusal
    r = cli({"forward", "--model", tiny(), "--dtype", "fp16", "--inputs", tiny() + "/golden.safetensors", "--out",
        dir.filePath(QStringLiteral("o.safetensors"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("fp16 needs a CUDA device"), r.err.constData());
    // malformed JSONL on stdin names the line
    r = cli({"tokenize", "--tokenizer", tokenizerDir()}, "{\"text\": \"ok\"}\nnot json\n");
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("stdin:2"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestCliEngine)
#include "tst_cli_engine.moc"
