// One task's report: the right metrics per task kind, findings per sample, worst cases first,
// and the JSON the evaluate command writes.

#include "evaluation/bleu.h"
#include "evaluation/evaluation_report.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <stdexcept>

using namespace fmw::eval;

namespace {

const char *kNormal = "No acute cardiopulmonary abnormality.";

EvaluationSample sample(const std::string &image, const std::string &prefix, const std::string &prediction,
    std::vector<std::string> references)
{
    return {image, prefix, prediction, std::move(references)};
}

} // namespace

class TestEvaluationReport : public QObject {
    Q_OBJECT
private slots:
    void textTaskScoresAndOrdersWorstFirst();
    void multipleReferencesReachTheTextMetrics();
    void detectionTaskUsesBoxes();
    void rejectsMismatchedSamples();
    void jsonCarriesScoresAndSamples();
};

void TestEvaluationReport::textTaskScoresAndOrdersWorstFirst()
{
    const TaskReport r = evaluateTask("<CAPTION>",
        {
            sample("same.png", "<CAPTION>", "Large left pleural effusion. Cardiomegaly.",
                {"Large left pleural effusion. Cardiomegaly."}),
            // right finding, other words
            sample("reworded.png", "<CAPTION>", "Cardiomegaly is present.", {"Cardiomegaly."}),
            // a finding the reference does not have
            sample("wrong.png", "<CAPTION>", "Right pneumothorax.", {kNormal}),
        });
    QVERIFY(!r.detection);
    QVERIFY(r.findings);
    QCOMPARE(r.text.size(), size_t(3));

    // Identical texts score at the top of every metric, the unrelated one at the bottom.
    QVERIFY(r.text[0].rougeL > 0.999);
    QVERIFY(r.text[0].bleu[0] > 0.999);
    QCOMPARE(r.text[2].rougeL, 0.0);
    QVERIFY(r.text[0].cider > r.text[1].cider);
    QVERIFY(r.text[1].cider > r.text[2].cider);

    // Findings: the pneumothorax is a false positive, the cardiomegaly cases agree.
    const ObservationCounts &ptx = r.findings->perObservation[observationIndex(Observation::Pneumothorax)];
    QCOMPARE(ptx.fp, size_t(1));
    QCOMPARE(ptx.tp, size_t(0));
    const ObservationCounts &cm = r.findings->perObservation[observationIndex(Observation::Cardiomegaly)];
    QCOMPARE(cm.tp, size_t(2));
    QCOMPARE(r.text[2].referenceFindings[observationIndex(Observation::NoFinding)], FindingLabel::Positive);
    QCOMPARE(
        r.text[2].predictedFindings[observationIndex(Observation::Pneumothorax)], FindingLabel::Positive);

    QCOMPARE(r.exact, (std::vector<bool> {true, false, false}));
    QCOMPARE(r.exactMatches, 1);

    // Worst first: the wrong finding, then the rewording, then the identical text.
    QCOMPARE(r.worstFirst, (std::vector<int> {2, 1, 0}));
}

void TestEvaluationReport::multipleReferencesReachTheTextMetrics()
{
    // The second reference equals the prediction: every metric takes it into account.
    const TaskReport one = evaluateTask("<CAPTION>",
        {sample("a.png", "<CAPTION>", "Small right pleural effusion.", {"Large left pleural effusion."})});
    const TaskReport two = evaluateTask("<CAPTION>",
        {sample("a.png", "<CAPTION>", "Small right pleural effusion.",
            {"Large left pleural effusion.", "Small right pleural effusion."})});
    QVERIFY(two.text[0].rougeL > one.text[0].rougeL);
    QVERIFY(two.text[0].rougeL > 0.999);
    // Exact against any reference, white space at the ends aside.
    QCOMPARE(one.exactMatches, 0);
    QCOMPARE(two.exactMatches, 1);
    QCOMPARE(evaluateTask("<CAPTION>", {sample("a.png", "<CAPTION>", " Cardiomegaly.\n", {"Cardiomegaly."})})
                 .exactMatches,
        1);
    QCOMPARE(evaluateTask("<CAPTION>", {sample("a.png", "<CAPTION>", "cardiomegaly.", {"Cardiomegaly."})})
                 .exactMatches,
        0);
    QVERIFY(two.bleu[3] > one.bleu[3]);
    // The corpus numbers are the text metrics' own on the same pairs.
    const BleuScores direct = bleu(tokenizePairs({{"Small right pleural effusion.",
        {"Large left pleural effusion.", "Small right pleural effusion."}}}));
    QCOMPARE(two.bleu, direct.corpus);
}

void TestEvaluationReport::detectionTaskUsesBoxes()
{
    const std::string heart = "cardiomegaly<loc_374><loc_394><loc_820><loc_648>";
    const std::string tube = "endotracheal tube<loc_484><loc_0><loc_511><loc_265>";
    const TaskReport r = evaluateTask("<OD>",
        {
            sample("hit.png", "<OD>", heart, {heart}),
            sample("miss.png", "<OD>", heart, {tube}),
        });
    QVERIFY(r.detection);
    QVERIFY(!r.findings);
    QVERIFY(r.text.empty());
    QCOMPARE(r.detection->overall.tp, int64_t(1));
    QCOMPARE(r.detection->overall.fp, int64_t(1));
    QCOMPARE(r.detection->overall.fn, int64_t(1));
    QCOMPARE(r.worstFirst, (std::vector<int> {1, 0}));
    QCOMPARE(r.exactMatches, 1);
}

void TestEvaluationReport::rejectsMismatchedSamples()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
        evaluateTask("<CAPTION>", {sample("a.png", "<DETAILED_CAPTION>", "x", {"x"})}));
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument, evaluateTask("<CAPTION>", {sample("a.png", "<CAPTION>", "x", {})}));
}

void TestEvaluationReport::jsonCarriesScoresAndSamples()
{
    const TaskReport r = evaluateTask("<CAPTION>",
        {sample("good.png", "<CAPTION>", kNormal, {kNormal}),
            sample("bad.png", "<CAPTION>", "Left pneumothorax.", {kNormal})});
    const nlohmann::json j = toJson(r);
    QCOMPARE(j.at("task").get<std::string>(), std::string("<CAPTION>"));
    QCOMPARE(j.at("samples").get<int>(), 2);
    QCOMPARE(j.at("bleu").at("bleu4").get<double>(), r.bleu[3]);
    QCOMPARE(j.at("rouge_l").get<double>(), r.rougeL);
    QCOMPARE(j.at("cider_d").get<double>(), r.cider);
    QCOMPARE(j.at("findings").at("per_observation").at("Pneumothorax").at("fp").get<int>(), 1);
    const auto &samples = j.at("samples_worst_first");
    QCOMPARE(samples.size(), size_t(2));
    QCOMPARE(samples[0].at("image").get<std::string>(), std::string("bad.png"));
    QCOMPARE(samples[0].at("predicted_findings").at("Pneumothorax").get<std::string>(),
        std::string(findingLabelName(FindingLabel::Positive)));
    QCOMPARE(samples[1].at("findings_f1").get<double>(), 1.0);
    QCOMPARE(samples[1].at("exact").get<bool>(), true);
    QCOMPARE(samples[0].at("exact").get<bool>(), false);
    QCOMPARE(j.at("exact_match").at("count").get<int>(), 1);

    bool saysJava = false;
    for (const std::string &note : metricNotes())
        saysJava = saysJava
            || (note.find("METEOR") != std::string::npos && note.find("Java") != std::string::npos);
    QVERIFY(saysJava);
}

QTEST_GUILESS_MAIN(TestEvaluationReport)
#include "tst_evaluation_report.moc"
