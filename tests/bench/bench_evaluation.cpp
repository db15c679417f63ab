// Benchmark: evaluating 10,000 prediction/reference pairs (issue 5: under 2 s). Two tasks of
// 10,000 samples each, through evaluateTask() as `florence-cli evaluate` runs them:
//   <CAPTION>-like reports (~28 words, two references): BLEU-1..4, ROUGE-L, CIDEr-D, findings;
//   <OD> texts (3 boxes a side, jittered): detection metrics and AP.
// The verdict is on the text task, the expensive one; <OD> and the parts are printed beside it.
// Baseline, same process and pairs: tokenizing them (what every text metric needs first).

#include "bench_stats.h"
#include "evaluation/bleu.h"
#include "evaluation/cider.h"
#include "evaluation/evaluation_report.h"
#include "evaluation/finding_labeler.h"
#include "evaluation/rouge.h"

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <random>

using namespace fmw;
using namespace fmw::eval;

namespace {

constexpr int kPairs = 10000;
constexpr int kRuns = 5;
constexpr double kBudgetMs = 2000;

using fmwbench::median;

// Five sentences from a bank of findings, so n-grams repeat across reports as in real corpora.
std::vector<EvaluationSample> reportSamples()
{
    static const char *const kSentences[] = {"The lungs are clear.",
        "There is no focal consolidation, pleural effusion or pneumothorax.", "Heart size is normal.",
        "The cardiomediastinal silhouette is within normal limits.", "Mild cardiomegaly is unchanged.",
        "There is a small left pleural effusion.", "There is a small right pleural effusion.",
        "Bibasilar atelectasis is noted.", "No acute osseous abnormality.",
        "Endotracheal tube terminates 5 cm above the carina.",
        "Nasogastric tube courses below the diaphragm.", "Right lower lobe opacity may represent pneumonia.",
        "Left lower lobe opacity may represent atelectasis.", "Pulmonary vascular congestion is mild.",
        "There is moderate pulmonary edema.", "No pneumothorax is seen.", "The hilar contours are normal.",
        "Median sternotomy wires are intact.", "Degenerative changes of the thoracic spine.",
        "No acute cardiopulmonary process.", "The right internal jugular line ends in the SVC.",
        "Interval improvement of the left basilar opacity.", "Lungs are hyperinflated.",
        "Stable appearance of the chest."};
    std::mt19937 rng(5);
    std::uniform_int_distribution<size_t> pick(0, std::size(kSentences) - 1);
    const auto report = [&] {
        std::string s;
        for (int i = 0; i < 5; ++i)
            s += (i ? " " : "") + std::string(kSentences[pick(rng)]);
        return s;
    };
    std::vector<EvaluationSample> samples;
    for (int i = 0; i < kPairs; ++i) {
        std::string prediction = report();
        std::string first = report();
        samples.push_back({"img-" + std::to_string(i) + ".png", "<CAPTION>", prediction, {first, report()}});
    }
    return samples;
}

std::vector<EvaluationSample> odSamples()
{
    static const char *const kLabels[]
        = {"cardiomegaly", "pleural effusion", "nodule", "pneumothorax", "pacemaker"};
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> pos(0, 800), size(20, 190), jitter(-15, 15), label(0, 4);
    std::vector<EvaluationSample> samples;
    for (int i = 0; i < kPairs; ++i) {
        std::vector<loc::OdBox> prediction, reference;
        for (int k = 0; k < 3; ++k) {
            const int x = pos(rng), y = pos(rng), w = size(rng), h = size(rng), dx = jitter(rng),
                      dy = jitter(rng);
            const std::string l = kLabels[label(rng)];
            reference.push_back({l, {x, y, x + w, y + h}});
            prediction.push_back({l, {std::max(0, x + dx), std::max(0, y + dy), x + w + dx, y + h + dy}});
        }
        samples.push_back({"img-" + std::to_string(i) + ".png", "<OD>", loc::formatOd(prediction),
            {loc::formatOd(reference)}});
    }
    return samples;
}

template <typename F> double timeMs(F &&f)
{
    QElapsedTimer timer;
    timer.start();
    f();
    return double(timer.nsecsElapsed()) / 1e6;
}

} // namespace

class BenchEvaluation : public QObject {
    Q_OBJECT
private slots:
    void tenThousandPairs();
};

void BenchEvaluation::tenThousandPairs()
{
    const std::vector<EvaluationSample> reports = reportSamples();
    const std::vector<EvaluationSample> boxes = odSamples();
    std::vector<TextPair> raw;
    std::vector<std::string> texts;
    for (const EvaluationSample &s : reports) {
        raw.push_back({s.prediction, s.references});
        texts.push_back(s.prediction);
    }

    std::vector<double> textMs, odMs, tokenizeMs, bleuMs, rougeMs, ciderMs, labelMs;
    double bleu4 = 0, odF1 = 0;
    for (int run = 0; run < kRuns; ++run) {
        textMs.push_back(timeMs([&] { bleu4 = evaluateTask("<CAPTION>", reports).bleu[3]; }));
        odMs.push_back(timeMs([&] { odF1 = evaluateTask("<OD>", boxes).detection->overall.f1(); }));
        std::vector<TextPair> tokenized;
        tokenizeMs.push_back(timeMs([&] { tokenized = tokenizePairs(raw); }));
        bleuMs.push_back(timeMs([&] { bleu(tokenized); }));
        rougeMs.push_back(timeMs([&] { rougeL(tokenized); }));
        ciderMs.push_back(timeMs([&] { cider(tokenized); }));
        labelMs.push_back(timeMs([&] { labelReports(texts); }));
    }
    QVERIFY(bleu4 > 0 && bleu4 < 1);
    QVERIFY(odF1 > 0.5);

    const double text = median(textMs), od = median(odMs), tokenize = median(tokenizeMs);
    qInfo("evaluate %d pairs, median of %d runs:", kPairs, kRuns);
    qInfo("  <CAPTION> reports (~28 words, 2 references): %.1f ms = %.1fx tokenizing alone (%.1f ms)", text,
        text / tokenize, tokenize);
    qInfo("    parts: BLEU %.1f ms, ROUGE-L %.1f ms, CIDEr-D %.1f ms, finding labels (predictions only) %.1f "
          "ms",
        median(bleuMs), median(rougeMs), median(ciderMs), median(labelMs));
    qInfo("  <OD> (3 boxes a side): %.1f ms", od);
    qInfo("  <CAPTION> %.1f ms vs budget %.0f ms: %.2fx the budget -> %s", text, kBudgetMs, text / kBudgetMs,
        text < kBudgetMs ? "ok" : "MISSED");
    QVERIFY2(text < kBudgetMs, "evaluating 10,000 report pairs must take under 2 s");
}

QTEST_GUILESS_MAIN(BenchEvaluation)
#include "bench_evaluation.moc"
