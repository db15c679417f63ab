#include "evaluation/finding_agreement.h"
#include "evaluation/finding_labeler.h"

#include <QStringList>
#include <QTest>

#include <stdexcept>

using namespace fmw::eval;

namespace {

// Compact expected labelling: "PX- PE+ NF+" lists every mentioned observation (+ positive,
// - negative, ? uncertain); all others must be NotMentioned.
FindingLabels parseSpec(const QString &spec)
{
    static const QStringList kCodes
        = {"NF", "ECM", "CM", "LO", "LL", "ED", "CO", "PN", "AT", "PX", "PE", "PO", "FR", "SD"};
    FindingLabels labels;
    labels.fill(FindingLabel::NotMentioned);
    for (const QString &item : spec.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const int index = kCodes.indexOf(item.left(item.size() - 1));
        if (index < 0)
            qFatal("bad spec item %s", qPrintable(item));
        const QChar mark = item.back();
        labels[index] = mark == QLatin1Char('+') ? FindingLabel::Positive
            : mark == QLatin1Char('-')           ? FindingLabel::Negative
            : mark == QLatin1Char('?')           ? FindingLabel::Uncertain
                                                 : FindingLabel::NotMentioned;
    }
    return labels;
}

QString describe(const FindingLabels &labels)
{
    QStringList parts;
    for (Observation o : allObservations()) {
        const FindingLabel l = labels[observationIndex(o)];
        if (l != FindingLabel::NotMentioned)
            parts << QStringLiteral("%1=%2").arg(observationName(o), findingLabelName(l));
    }
    return parts.isEmpty() ? QStringLiteral("(nothing)") : parts.join(QStringLiteral(", "));
}

FindingLabels make(std::initializer_list<std::pair<Observation, FindingLabel>> items)
{
    FindingLabels labels;
    labels.fill(FindingLabel::NotMentioned);
    for (const auto &[o, l] : items)
        labels[observationIndex(o)] = l;
    return labels;
}

void addRows(const char *const rows[][2], size_t count)
{
    for (size_t i = 0; i < count; ++i)
        QTest::newRow(rows[i][0]) << QString::fromUtf8(rows[i][0]) << QString::fromUtf8(rows[i][1]);
}

// Codes: NF No Finding, ECM Enlarged Cardiomediastinum, CM Cardiomegaly, LO Lung Opacity,
// LL Lung Lesion, ED Edema, CO Consolidation, PN Pneumonia, AT Atelectasis, PX Pneumothorax,
// PE Pleural Effusion, PO Pleural Other, FR Fracture, SD Support Devices.
const char *const kSentences[][2] = {
    // Enlarged Cardiomediastinum
    {"The cardiomediastinal silhouette is enlarged.", "ECM+"},
    {"Widened mediastinum.", "ECM+"},
    {"Mediastinal widening is noted.", "ECM+"},
    {"Normal cardiomediastinal silhouette.", "ECM- NF+"},
    {"Mediastinal contours are within normal limits.", "ECM- NF+"},
    {"The mediastinum is not widened.", "ECM- NF+"},
    {"The mediastinal and hilar contours are unremarkable.", "ECM- NF+"},
    {"Possible mediastinal widening.", "ECM?"},
    {"The mediastinum may be widened.", "ECM?"},
    {"Cardiomediastinal silhouette is stable.", "ECM?"},
    // Cardiomegaly
    {"Cardiomegaly.", "CM+"},
    {"The heart is enlarged.", "CM+"},
    {"Moderately enlarged cardiac silhouette.", "CM+"},
    {"Mild cardiomegaly is unchanged.", "CM+"},
    {"The heart size is normal.", "CM- NF+"},
    {"Heart size is not enlarged.", "CM- NF+"},
    {"No cardiomegaly.", "CM- NF+"},
    {"Possible mild cardiomegaly.", "CM?"},
    {"Borderline heart size.", "CM?"},
    {"Cardiomegaly cannot be excluded.", "CM?"},
    // Lung Opacity
    {"Patchy opacity at the left base.", "LO+"},
    {"Bibasilar airspace opacities.", "LO+"},
    {"Increased interstitial markings.", "LO+"},
    {"No focal opacity.", "LO- NF+"},
    {"Lungs are clear without infiltrate.", "LO- NF+"},
    {"Possible right lower lobe infiltrate.", "LO?"},
    {"Hazy opacity may represent atelectasis.", "LO+ AT?"},
    {"Opacity likely atelectasis.", "LO+ AT?"},
    // Lung Lesion
    {"Small left upper zone nodule.", "LL+"},
    {"There is a large nodule in the right middle zone.", "LL+"},
    {"Spiculated mass in the right upper lobe.", "LL+"},
    {"No pulmonary nodule.", "LL- NF+"},
    {"No suspicious mass.", "LL- NF+"},
    {"Lung mass cannot be excluded.", "LL?"},
    {"Possible nodule in the left lung.", "LL?"},
    // Edema
    {"Mild pulmonary edema.", "ED+"},
    {"Pulmonary vascular congestion.", "ED+"},
    {"Congestive heart failure.", "ED+ CM?"},
    {"No pulmonary edema.", "ED- NF+"},
    {"There is no evidence of edema.", "ED- NF+"},
    {"Edema has resolved.", "ED- NF+"},
    {"Findings may represent mild edema.", "ED?"},
    {"Possible mild interstitial edema.", "ED?"},
    // Consolidation
    {"Right lower lobe consolidation.", "CO+"},
    {"No focal consolidation.", "CO- NF+"},
    {"No evidence of consolidation.", "CO- NF+"},
    {"Consolidation cannot be excluded.", "CO?"},
    {"Left basilar consolidation is likely.", "CO?"},
    {"Questionable left retrocardiac consolidation.", "CO?"},
    {"No new consolidation.", "CO?"},
    // Pneumonia
    {"Findings are consistent with pneumonia.", "PN+"},
    {"Right lower lobe pneumonia.", "PN+"},
    {"No pneumonia.", "PN- NF+"},
    {"Clinical correlation to rule out pneumonia.", "PN- NF+"},
    {"No focal consolidation to suggest pneumonia.", "CO- PN- NF+"},
    {"Pneumonia cannot be excluded.", "PN?"},
    {"Cannot rule out pneumonia.", "PN?"},
    {"Opacity concerning for pneumonia.", "LO+ PN?"},
    {"Findings suggestive of infection.", "PN?"},
    // Atelectasis
    {"Bibasilar atelectasis.", "AT+"},
    {"Mild left basilar atelectatic changes.", "AT+"},
    {"Left lower lobe collapse.", "AT+"},
    {"No atelectasis.", "AT- NF+"},
    {"Atelectasis has resolved.", "AT- NF+"},
    {"This may represent atelectasis.", "AT?"},
    {"Atelectasis versus pneumonia.", "AT? PN?"},
    // Pneumothorax
    {"Right pneumothorax.", "PX+"},
    {"Small left apical pneumothorax is again seen.", "PX+"},
    {"No pneumothorax.", "PX- NF+"},
    {"Pneumothorax has resolved.", "PX- NF+"},
    {"There is no longer a pneumothorax.", "PX- NF+"},
    {"A pneumothorax is not seen.", "PX- NF+"},
    {"No definite pneumothorax.", "PX- NF+"},
    {"Possible tiny left apical pneumothorax.", "PX?"},
    {"Tiny right pneumothorax cannot be excluded.", "PX?"},
    // Pleural Effusion
    {"Large right pleural effusion.", "PE+"},
    {"Small bilateral pleural effusions.", "PE+"},
    {"No change in the left pleural effusion.", "PE+"},
    {"Without effusion.", "PE- NF+"},
    {"No pleural effusion.", "PE- NF+"},
    {"The pleural spaces are clear of effusion.", "PE- NF+"},
    {"Possible small effusion.", "PE?"},
    {"Blunting of the costophrenic angle may reflect a small effusion.", "PE?"},
    // Pleural Other
    {"Left apical pleural thickening.", "PO+"},
    {"Pleuroparenchymal scarring at the right apex.", "PO+"},
    {"No pleural thickening.", "PO- NF+"},
    {"Possible pleural plaque.", "PO?"},
    // Fracture
    {"Old healed left rib fractures.", "FR+"},
    {"No acute fracture.", "FR- NF+"},
    {"Possible nondisplaced rib fracture.", "FR?"},
    {"Fracture cannot be excluded.", "FR?"},
    // Support Devices (never block No Finding)
    {"Endotracheal tube in place.", "SD+ NF+"},
    {"Right-sided central line in place.", "SD+ NF+"},
    {"Pacemaker in place.", "SD+ NF+"},
    {"Left PICC line terminates in the SVC.", "SD+ NF+"},
    {"Endotracheal tube has been removed.", "SD- NF+"},
    {"No support devices.", "SD- NF+"},
    {"Interval removal of the chest tube.", "SD- NF+"},
    {"Possible malpositioned nasogastric tube.", "SD? NF+"},
    // No Finding and other findings
    {"No acute cardiopulmonary abnormality.", "NF+"},
    {"The lungs are clear.", "NF+"},
    {"No acute osseous abnormality.", "NF+"},
    {"Emphysema.", ""},
    {"Calcified granuloma in the left lower lobe.", ""},
    {"Small pericardial effusion.", ""},
    {"Normal heart size, small right effusion.", "CM- PE+"},
    {"No pneumothorax, effusion, or consolidation.", "PX- PE- CO- NF+"},
};

} // namespace

class TestFindingLabeler : public QObject {
    Q_OBJECT

private slots:
    void sentenceTable_data();
    void sentenceTable();
    void tableCoversEveryObservation();
    void aggregation_data();
    void aggregation();
    void clauseScope_data();
    void clauseScope();
    void noFindingRule_data();
    void noFindingRule();
    void mentionOffsets();
    void perObservationMetrics();
    void averages();
    void zeroDivisionSetting();
    void perSampleAgreement();
    void agreementFromReports();
    void mismatchedSizesThrow();
};

void TestFindingLabeler::sentenceTable_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    addRows(kSentences, std::size(kSentences));
}

void TestFindingLabeler::sentenceTable()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const FindingLabels got = labelReport(text.toStdString());
    QCOMPARE(describe(got), describe(parseSpec(expected)));
}

// The table must keep at least 80 sentences and, for each of the 13 mentionable observations,
// a positive, a negated and an uncertain example.
void TestFindingLabeler::tableCoversEveryObservation()
{
    QVERIFY(std::size(kSentences) >= 80);
    for (Observation o : allObservations()) {
        if (o == Observation::NoFinding)
            continue;
        bool seen[4] = {false, false, false, false};
        for (const auto &row : kSentences)
            seen[static_cast<int>(parseSpec(QString::fromUtf8(row[1]))[observationIndex(o)])] = true;
        QVERIFY2(seen[int(FindingLabel::Positive)] && seen[int(FindingLabel::Negative)]
                && seen[int(FindingLabel::Uncertain)],
            observationName(o));
    }
}

void TestFindingLabeler::aggregation_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    // Positive beats uncertain beats negative, in either sentence order.
    QTest::newRow("pos+neg") << "Small right pleural effusion. No left effusion."
                             << "PE+";
    QTest::newRow("neg+pos") << "No left effusion. Small right pleural effusion."
                             << "PE+";
    QTest::newRow("unc+neg") << "Possible pneumonia. No pneumonia."
                             << "PN?";
    QTest::newRow("neg+unc") << "No pneumonia. Pneumonia cannot be excluded."
                             << "PN?";
    QTest::newRow("unc+pos") << "Possible pneumonia. Right lower lobe pneumonia."
                             << "PN+";
    QTest::newRow("demo caption") << "Large left upper zone nodule. Cardiomegaly."
                                  << "LL+ CM+";
    QTest::newRow("demo devices")
        << "Right pneumothorax. Cardiomegaly. Endotracheal tube in place. Right-sided central line in place. "
           "Pacemaker in place."
        << "PX+ CM+ SD+";
    QTest::newRow("demo findings abnormal")
        << "The heart is enlarged. There is a small right pleural effusion. There is a large nodule in the "
           "left upper zone. No pneumothorax. An endotracheal tube is in place. A right-sided central line "
           "is in place."
        << "CM+ PE+ LL+ PX- SD+";
    QTest::newRow("demo findings normal")
        << "The heart size is normal. No pleural effusion. No pulmonary nodule. No pneumothorax. "
           "No support devices."
        << "CM- PE- LL- PX- SD- NF+";
    QTest::newRow("newlines and case") << "FINDINGS:\nNO PNEUMOTHORAX.\n\nIMPRESSION:\nBibasilar ATELECTASIS"
                                       << "PX- AT+";
}

void TestFindingLabeler::aggregation()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(describe(labelReport(text.toStdString())), describe(parseSpec(expected)));
}

void TestFindingLabeler::clauseScope_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("but") << "No pneumothorax but there is a small effusion."
                         << "PX- PE+";
    QTest::newRow("comma but") << "No pneumothorax, but small left effusion."
                               << "PX- PE+";
    QTest::newRow("however") << "No effusion, however left basilar atelectasis is present."
                             << "PE- AT+";
    QTest::newRow("but uncertain") << "There is no pneumothorax, but pneumonia cannot be excluded."
                                   << "PX- PN?";
    QTest::newRow("and there") << "No pneumothorax and there is a small effusion."
                               << "PX- PE+";
    QTest::newRow("list stays negated") << "No pneumothorax or effusion."
                                        << "PX- PE- NF+";
    QTest::newRow("sentence ends scope") << "No pneumothorax. Effusion."
                                         << "PX- PE+";
    QTest::newRow("next cue ends scope") << "No pneumothorax, possible small effusion."
                                         << "PX- PE?";
    QTest::newRow("uncertainty then negation") << "Possible small effusion, no pneumothorax."
                                               << "PE? PX-";
    QTest::newRow("trailing cue stops at previous cue") << "Possible effusion, pneumothorax has resolved."
                                                        << "PE? PX-";
    QTest::newRow("trailing cue over a list") << "Effusion and pneumothorax are not seen."
                                              << "PE- PX- NF+";
    QTest::newRow("vs. keeps the sentence") << "Atelectasis vs. pneumonia."
                                            << "AT? PN?";
}

void TestFindingLabeler::clauseScope()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(describe(labelReport(text.toStdString())), describe(parseSpec(expected)));
}

void TestFindingLabeler::noFindingRule_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("noFinding");
    QTest::newRow("normal") << "No acute cardiopulmonary abnormality." << true;
    QTest::newRow("only negatives") << "No pneumothorax. No effusion. Heart size is normal." << true;
    QTest::newRow("devices only") << "Endotracheal tube in place. Pacemaker in place." << true;
    QTest::newRow("positive") << "Right pneumothorax." << false;
    QTest::newRow("uncertain") << "Possible pneumonia." << false;
    QTest::newRow("other finding") << "Emphysema. No pneumothorax." << false;
    QTest::newRow("negated other") << "No emphysema." << true;
    QTest::newRow("positive with device") << "Cardiomegaly. Pacemaker in place." << false;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("punctuation only") << " . ; \n" << false;
}

void TestFindingLabeler::noFindingRule()
{
    QFETCH(QString, text);
    QFETCH(bool, noFinding);
    const FindingLabels labels = labelReport(text.toStdString());
    // CheXpert never negates No Finding: it is Positive or NotMentioned.
    QCOMPARE(labels[observationIndex(Observation::NoFinding)],
        noFinding ? FindingLabel::Positive : FindingLabel::NotMentioned);
    if (text.trimmed().isEmpty() || text == " . ; \n") {
        for (FindingLabel l : labels)
            QCOMPARE(l, FindingLabel::NotMentioned);
    }
}

void TestFindingLabeler::mentionOffsets()
{
    const std::string report = "No pneumothorax. Large right pleural effusion.";
    const std::vector<FindingMention> mentions = findMentions(report);
    QCOMPARE(mentions.size(), size_t(2));
    QCOMPARE(mentions[0].observation, Observation::Pneumothorax);
    QCOMPARE(mentions[0].label, FindingLabel::Negative);
    QCOMPARE(
        report.substr(mentions[0].begin, mentions[0].end - mentions[0].begin), std::string("pneumothorax"));
    QCOMPARE(mentions[1].observation, Observation::PleuralEffusion);
    QCOMPARE(mentions[1].label, FindingLabel::Positive);
    QCOMPARE(report.substr(mentions[1].begin, mentions[1].end - mentions[1].begin), std::string("effusion"));
    QCOMPARE(QString(observationName(Observation::EnlargedCardiomediastinum)),
        QStringLiteral("Enlarged Cardiomediastinum"));
}

namespace {

constexpr auto P = FindingLabel::Positive;
constexpr auto U = FindingLabel::Uncertain;

// Hand-computed set (only Positive counts):
//   s1 gen CM+ PE+    ref CM+ PE?   -> CM TP, PE FP
//   s2 gen PX+        ref PX+ PE+   -> PX TP, PE FN
//   s3 gen NF+        ref NF+       -> NF TP
//   s4 gen CM? AT+    ref CM+ AT+   -> CM FN, AT TP
//   s5 gen (nothing)  ref PE?       -> all TN
std::vector<FindingLabels> generatedSet()
{
    return {make({{Observation::Cardiomegaly, P}, {Observation::PleuralEffusion, P}}),
        make({{Observation::Pneumothorax, P}}), make({{Observation::NoFinding, P}}),
        make({{Observation::Cardiomegaly, U}, {Observation::Atelectasis, P}}), make({})};
}

std::vector<FindingLabels> referenceSet()
{
    return {make({{Observation::Cardiomegaly, P}, {Observation::PleuralEffusion, U}}),
        make({{Observation::Pneumothorax, P}, {Observation::PleuralEffusion, P}}),
        make({{Observation::NoFinding, P}}),
        make({{Observation::Cardiomegaly, P}, {Observation::Atelectasis, P}}),
        make({{Observation::PleuralEffusion, U}})};
}

} // namespace

void TestFindingLabeler::perObservationMetrics()
{
    const FindingAgreement a = computeFindingAgreement(generatedSet(), referenceSet());
    QCOMPARE(a.samples, size_t(5));
    // CM: TP1 FN1 TN3 -> P 1/1, R 1/2, F1 2/3.
    const ObservationCounts &cm = a.perObservation[observationIndex(Observation::Cardiomegaly)];
    QCOMPARE(cm.tp, size_t(1));
    QCOMPARE(cm.fp, size_t(0));
    QCOMPARE(cm.fn, size_t(1));
    QCOMPARE(cm.tn, size_t(3));
    QCOMPARE(cm.precision, 1.0);
    QCOMPARE(cm.recall, 0.5);
    QVERIFY(qFuzzyCompare(cm.f1, 2.0 / 3.0));
    // PE: FP1 (s1, reference uncertain), FN1 (s2), TN3 -> P 0/1, R 0/1, F1 0.
    const ObservationCounts &pe = a.perObservation[observationIndex(Observation::PleuralEffusion)];
    QCOMPARE(pe.tp, size_t(0));
    QCOMPARE(pe.fp, size_t(1));
    QCOMPARE(pe.fn, size_t(1));
    QCOMPARE(pe.tn, size_t(3));
    QCOMPARE(pe.precision, 0.0);
    QCOMPARE(pe.recall, 0.0);
    QCOMPARE(pe.f1, 0.0);
    // PX, NF, AT: one TP each, TN4 -> 1/1/1.
    for (Observation o : {Observation::Pneumothorax, Observation::NoFinding, Observation::Atelectasis}) {
        const ObservationCounts &c = a.perObservation[observationIndex(o)];
        QCOMPARE(c.tp, size_t(1));
        QCOMPARE(c.tn, size_t(4));
        QCOMPARE(c.f1, 1.0);
    }
    // Edema: never positive -> 0/0 everywhere -> zeroDivision (0).
    const ObservationCounts &ed = a.perObservation[observationIndex(Observation::Edema)];
    QCOMPARE(ed.tn, size_t(5));
    QCOMPARE(ed.precision, 0.0);
    QCOMPARE(ed.recall, 0.0);
    QCOMPARE(ed.f1, 0.0);
}

void TestFindingLabeler::averages()
{
    const FindingAgreement a = computeFindingAgreement(generatedSet(), referenceSet());
    // Micro over 14: TP 4 (CM, PX, NF, AT), FP 1 (PE), FN 2 (CM, PE):
    //   P 4/5 = 0.8, R 4/6, F1 8/11.
    QVERIFY(qFuzzyCompare(a.all14.microPrecision, 0.8));
    QVERIFY(qFuzzyCompare(a.all14.microRecall, 4.0 / 6.0));
    QVERIFY(qFuzzyCompare(a.all14.microF1, 8.0 / 11.0));
    // Macro over 14 (9 observations without support count as 0):
    //   P (1 + 0 + 1 + 1 + 1)/14 = 4/14, R (0.5 + 0 + 1 + 1 + 1)/14 = 3.5/14,
    //   F1 (2/3 + 0 + 1 + 1 + 1)/14 = (11/3)/14.
    QVERIFY(qFuzzyCompare(a.all14.macroPrecision, 4.0 / 14.0));
    QVERIFY(qFuzzyCompare(a.all14.macroRecall, 3.5 / 14.0));
    QVERIFY(qFuzzyCompare(a.all14.macroF1, (11.0 / 3.0) / 14.0));
    // Top 5 (CM, ED, CO, AT, PE): TP 2, FP 1, FN 2 -> micro P 2/3, R 1/2, F1 4/7;
    //   macro P (1 + 0 + 0 + 1 + 0)/5 = 0.4, R (0.5 + 1)/5 = 0.3, F1 (2/3 + 1)/5 = 1/3.
    QVERIFY(qFuzzyCompare(a.top5.microPrecision, 2.0 / 3.0));
    QVERIFY(qFuzzyCompare(a.top5.microRecall, 0.5));
    QVERIFY(qFuzzyCompare(a.top5.microF1, 4.0 / 7.0));
    QVERIFY(qFuzzyCompare(a.top5.macroPrecision, 0.4));
    QVERIFY(qFuzzyCompare(a.top5.macroRecall, 0.3));
    QVERIFY(qFuzzyCompare(a.top5.macroF1, 1.0 / 3.0));
    // averageOver() on a custom subset: {PX, PE}: micro TP1 FP1 FN1 -> 0.5/0.5/0.5; macro F1 (1+0)/2.
    const AveragedScores s
        = averageOver(a.perObservation, {Observation::Pneumothorax, Observation::PleuralEffusion});
    QCOMPARE(s.microPrecision, 0.5);
    QCOMPARE(s.microRecall, 0.5);
    QCOMPARE(s.microF1, 0.5);
    QCOMPARE(s.macroF1, 0.5);
}

void TestFindingLabeler::zeroDivisionSetting()
{
    // With zeroDivision 1 the 9 unsupported observations count as perfect; PE stays 0 (not 0/0).
    const FindingAgreement a = computeFindingAgreement(generatedSet(), referenceSet(), 1.0);
    QCOMPARE(a.perObservation[observationIndex(Observation::Edema)].f1, 1.0);
    QCOMPARE(a.perObservation[observationIndex(Observation::PleuralEffusion)].f1, 0.0);
    QVERIFY(qFuzzyCompare(a.all14.macroPrecision, 13.0 / 14.0));
    QVERIFY(qFuzzyCompare(a.all14.macroF1, (11.0 / 3.0 + 9.0) / 14.0));
    // Micro has no 0/0 here, so it does not move.
    QVERIFY(qFuzzyCompare(a.all14.microF1, 8.0 / 11.0));
}

void TestFindingLabeler::perSampleAgreement()
{
    const std::vector<SampleAgreement> s = compareSamples(generatedSet(), referenceSet());
    QCOMPARE(s.size(), size_t(5));
    // s1: PE disagrees (+ vs ?) -> 13 agree, 13 exact, TP1 FP1 -> F1 2/3.
    QCOMPARE(s[0].agreeing, size_t(13));
    QCOMPARE(s[0].exactMatches, size_t(13));
    QCOMPARE(s[0].tp, size_t(1));
    QCOMPARE(s[0].fp, size_t(1));
    QVERIFY(qFuzzyCompare(s[0].f1, 2.0 / 3.0));
    // s2: PE missed -> TP1 FN1.
    QCOMPARE(s[1].agreeing, size_t(13));
    QCOMPARE(s[1].fn, size_t(1));
    QVERIFY(qFuzzyCompare(s[1].f1, 2.0 / 3.0));
    // s3: identical.
    QCOMPARE(s[2].agreeing, size_t(14));
    QCOMPARE(s[2].exactMatches, size_t(14));
    QCOMPARE(s[2].f1, 1.0);
    // s4: CM uncertain vs positive disagrees once binarised.
    QCOMPARE(s[3].agreeing, size_t(13));
    QCOMPARE(s[3].exactMatches, size_t(13));
    // s5: uncertain vs not mentioned agree binarised but not exactly; no positives -> F1 1.
    QCOMPARE(s[4].agreeing, size_t(14));
    QCOMPARE(s[4].exactMatches, size_t(13));
    QCOMPARE(s[4].f1, 1.0);
}

void TestFindingLabeler::agreementFromReports()
{
    const std::vector<std::string> generated = {"Cardiomegaly.", "No pneumothorax."};
    const std::vector<std::string> reference = {"Cardiomegaly. Right pneumothorax.", "No pneumothorax."};
    const FindingAgreement a = computeFindingAgreement(generated, reference);
    const auto &cm = a.perObservation[observationIndex(Observation::Cardiomegaly)];
    const auto &px = a.perObservation[observationIndex(Observation::Pneumothorax)];
    const auto &nf = a.perObservation[observationIndex(Observation::NoFinding)];
    QCOMPARE(cm.tp, size_t(1));
    QCOMPARE(cm.tn, size_t(1));
    QCOMPARE(px.fn, size_t(1));
    QCOMPARE(px.tn, size_t(1));
    QCOMPARE(nf.tp, size_t(1)); // report 2 on both sides
    QCOMPARE(nf.tn, size_t(1));
    // Micro over 14: TP 2 (CM, NF), FN 1 (PX) -> F1 4/5.
    QVERIFY(qFuzzyCompare(a.all14.microF1, 0.8));
}

void TestFindingLabeler::mismatchedSizesThrow()
{
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument, computeFindingAgreement(generatedSet(), std::vector<FindingLabels>(2)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, compareSamples(generatedSet(), {}));
}

QTEST_GUILESS_MAIN(TestFindingLabeler)
#include "tst_finding_labeler.moc"
