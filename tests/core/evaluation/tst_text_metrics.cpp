// BLEU-1..4, ROUGE-L and CIDEr-D against the real pycocoevalcap scorers, and the report tokenizer
// against hand-derived PTBTokenizer output.
//
// Expected scores were produced by running pycocoevalcap (github.com/salaniz/pycocoevalcap, commit
// ad63453cfab57a81a02b2949b17a91fab1c3df77: bleu/bleu_scorer.py via Bleu(4).compute_score,
// rouge/rouge.py via Rouge().compute_score, cider/cider_scorer.py via Cider().compute_score) with
// python3 3.11.2 / numpy 1.24.2 on exactly the tokenized inputs below (gts = references,
// res = [prediction], keyed by row index), printing repr() of every value. Comparisons are relative
// to 1e-6 of the expected value (plus 1e-15 absolute so that exact zeros compare).
//
// The Stanford CoreNLP 3.4.1 jar that pycocoevalcap's PTBTokenizer runs is not in the repository
// snapshot (the file is absent from the mirror), so the tokenizer rows are hand-written from
// PTBLexer's rules followed by pycocoevalcap's lower-casing and punctuation filter.

#include "evaluation/bleu.h"
#include "evaluation/cider.h"
#include "evaluation/rouge.h"
#include "evaluation/text_tokenizer.h"

#include <QTest>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

using namespace fmw::eval;

namespace {

struct Case {
    const char *name;
    const char *prediction;
    std::vector<std::string> references;
    std::array<double, 4> bleu; // pycocoevalcap score_list entry
    double rouge;
    double cider; // within corpus A (all rows)
};

// Corpus A: every row is one pair (pycocoevalcap "image").
const std::vector<Case> &corpusA()
{
    static const std::vector<Case> cases = {
        {"exact", "no acute cardiopulmonary process", {"no acute cardiopulmonary process"},
            {0.9999999995000004, 0.9999999994583337, 0.9999999993888894, 0.9999999992291674}, 1.0, 10.0},
        {"partial", "the heart size is normal", {"heart size is within normal limits"},
            {0.6549846022003919, 0.5178107938101979, 0.4182673989233556, 7.39806748512946e-05},
            0.7155425219941348, 3.684149434206504},
        {"multiRef", "small left pleural effusion",
            {"there is a small left pleural effusion", "left effusion is small", "no pneumothorax"},
            {0.9999999995000004, 0.9999999994583337, 0.9999999993888894, 0.9999999992291674},
            0.693181818181818, 2.6499569971414068},
        {"emptyPrediction", "", {"the lungs are clear"}, {0.0, 0.0, 0.0, 0.0}, 0.0, 0.0},
        {"singleWord", "normal", {"normal chest radiograph"},
            {0.1353352829659427, 0.00013533528303361024, 1.3533528305616618e-05, 4.2796774227674215e-06},
            0.45864661654135336, 0.705640768225379},
        {"repeatedWords", "the the the the the", {"the lungs are clear", "the heart is normal"},
            {0.19999999996000023, 7.071067810274489e-09, 2.5543647739782087e-11, 1.699044244302013e-12},
            0.22676579925650556, 0.11618112690104276},
        // 4 words against references of 3 and 5: "closest" takes the shorter one, so no brevity penalty.
        {"closestTie", "lungs are clear bilaterally", {"lungs are clear", "the lungs are well expanded"},
            {0.7499999998125002, 0.7071067809803083, 0.6299605247199512, 0.00012574334290280228},
            0.8798076923076923, 2.1638677116211187},
        {"radiology1", "there is no focal consolidation pleural effusion or pneumothorax",
            {"no focal consolidation pleural effusion or pneumothorax is seen",
                "the lungs are clear without focal consolidation effusion or pneumothorax"},
            {0.8888888886913584, 0.8164965807406125, 0.780896665433669, 0.7506238535645454},
            0.7777777777777778, 5.2106597973600195},
        {"radiology2", "mild cardiomegaly with pulmonary vascular congestion",
            {"the heart is mildly enlarged",
                "mild cardiomegaly and pulmonary vascular congestion are unchanged"},
            {0.8333333331944446, 0.7071067810569115, 0.4999999998972225, 8.034284187538379e-05},
            0.6963470319634703, 1.7806568201986548},
        {"radiology3", "right lower lobe opacity concerning for pneumonia",
            {"opacity in the right lower lobe may represent pneumonia or atelectasis"},
            {0.40337008703315097, 0.2755542281493554, 0.20468780065275793, 3.317125500423985e-05},
            0.4273204903677758, 2.0717026490784827},
        {"radiology4", "the cardiomediastinal silhouette is within normal limits",
            {"the cardiomediastinal silhouette is normal",
                "heart size and mediastinal contours are within normal limits"},
            {0.9999999998571429, 0.9128709290339994, 0.7937005258492968, 0.5946035573884569},
            0.8591549295774649, 3.585303265801276},
        {"radiology5", "endotracheal tube terminates 5 cm above the carina",
            {"the endotracheal tube tip is 5 cm above the carina", "et tube in standard position"},
            {0.6814506850171169, 0.6156960793476649, 0.5284976412041222, 0.46307771606775977},
            0.7624999999999998, 2.861942874400405},
    };
    return cases;
}

// Raw report text for each row of corpus A; it must tokenize to the row's tokens.
const std::vector<TextPair> &corpusARaw()
{
    static const std::vector<TextPair> raw = {
        {"No acute cardiopulmonary process.", {"No acute cardiopulmonary process."}},
        {"The heart size is normal.", {"Heart size is within normal limits."}},
        {"Small left pleural effusion.",
            {"There is a small left pleural effusion.", "Left effusion is small.", "No pneumothorax."}},
        {"...", {"The lungs are clear."}},
        {"Normal.", {"Normal chest radiograph."}},
        {"The, the, the; the -- the!", {"The lungs are clear.", "The heart is normal."}},
        {"Lungs are clear bilaterally.", {"Lungs are clear.", "The lungs are well expanded."}},
        {"There is no focal consolidation, pleural effusion, or pneumothorax.",
            {"No focal consolidation, pleural effusion or pneumothorax is seen.",
                "The lungs are clear without focal consolidation, effusion, or pneumothorax."}},
        {"Mild cardiomegaly with pulmonary vascular congestion.",
            {"The heart is mildly enlarged.",
                "Mild cardiomegaly and pulmonary vascular congestion are unchanged."}},
        {"Right lower lobe opacity, concerning for pneumonia.",
            {"Opacity in the right lower lobe may represent pneumonia or atelectasis."}},
        {"The cardiomediastinal silhouette is within normal limits.",
            {"The cardiomediastinal silhouette is normal.",
                "Heart size and mediastinal contours are within normal limits."}},
        {"Endotracheal tube terminates 5 cm above the carina.",
            {"The endotracheal tube tip is 5 cm above the carina.", "ET tube in standard position."}},
    };
    return raw;
}

std::vector<TextPair> pairsOf(const std::vector<Case> &cases, size_t begin = 0, size_t end = SIZE_MAX)
{
    std::vector<TextPair> pairs;
    for (size_t i = begin; i < std::min(end, cases.size()); ++i)
        pairs.push_back({cases[i].prediction, cases[i].references});
    return pairs;
}

bool near(double actual, double expected)
{
    return std::abs(actual - expected) <= 1e-6 * std::abs(expected) + 1e-15;
}

#define COMPARE_NEAR(actual, expected)                                                                       \
    do {                                                                                                     \
        const double a_ = (actual);                                                                          \
        const double e_ = (expected);                                                                        \
        if (!near(a_, e_))                                                                                   \
            QFAIL(qPrintable(QStringLiteral("%1 = %2, expected %3")                                          \
                                 .arg(#actual)                                                               \
                                 .arg(a_, 0, 'g', 17)                                                        \
                                 .arg(e_, 0, 'g', 17)));                                                     \
    } while (false)

void compareBleu(const std::array<double, 4> &actual, const std::array<double, 4> &expected)
{
    for (int k = 0; k < 4; ++k)
        COMPARE_NEAR(actual[k], expected[k]);
}

} // namespace

class TestTextMetrics : public QObject {
    Q_OBJECT

private slots:
    void perSampleScoresMatchPycocoevalcap_data();
    void perSampleScoresMatchPycocoevalcap();
    void corpusScoresMatchPycocoevalcap();
    void corpusBleuMatchesNltk();
    void ciderDependsOnTheCorpus();
    void sentenceBleuIsThePerSampleScore();
    void rawInputIsTokenizedFirst();
    void invalidAndEmptyInput();
    void tokenizer_data();
    void tokenizer();
};

void TestTextMetrics::perSampleScoresMatchPycocoevalcap_data()
{
    QTest::addColumn<int>("row");
    for (size_t i = 0; i < corpusA().size(); ++i)
        QTest::newRow(corpusA()[i].name) << static_cast<int>(i);
}

void TestTextMetrics::perSampleScoresMatchPycocoevalcap()
{
    QFETCH(int, row);
    const Case &expected = corpusA()[static_cast<size_t>(row)];
    const std::vector<TextPair> pairs = pairsOf(corpusA());

    const BleuScores b = bleu(pairs);
    QCOMPARE(b.perSample.size(), pairs.size());
    compareBleu(b.perSample[static_cast<size_t>(row)], expected.bleu);

    const ScalarScores r = rougeL(pairs);
    QCOMPARE(r.perSample.size(), pairs.size());
    COMPARE_NEAR(r.perSample[static_cast<size_t>(row)], expected.rouge);

    const ScalarScores c = cider(pairs);
    QCOMPARE(c.perSample.size(), pairs.size());
    COMPARE_NEAR(c.perSample[static_cast<size_t>(row)], expected.cider);
}

void TestTextMetrics::corpusScoresMatchPycocoevalcap()
{
    const std::vector<TextPair> all = pairsOf(corpusA());
    compareBleu(
        bleu(all).corpus, {0.7147248771945829, 0.6290704582640478, 0.5525783706767088, 0.462679285550006});
    COMPARE_NEAR(rougeL(all).corpus, 0.6247537231639994);
    COMPARE_NEAR(cider(all).corpus, 2.9025051204111905);

    // Rows radiology1..radiology5 as a corpus of their own.
    const std::vector<TextPair> radiology = pairsOf(corpusA(), 7, 12);
    compareBleu(bleu(radiology).corpus,
        {0.7975082568341877, 0.6946974731623199, 0.5983922866901439, 0.5007316735620071});
    COMPARE_NEAR(rougeL(radiology).corpus, 0.7046200459372977);
    COMPARE_NEAR(cider(radiology).corpus, 3.1301477530805912);
}

void TestTextMetrics::corpusBleuMatchesNltk()
{
    // nltk 3.8 (Debian python3-nltk), nltk.translate.bleu_score.corpus_bleu with weights (1/n,)*n
    // on the same whitespace tokens, run outside the repository. It agrees with pycocoevalcap's
    // corpus BLEU (to ~1e-10: pycocoevalcap's smoothing constants) except for predictions shorter
    // than some n-gram order (the empty and one-word rows), so those two rows are left out here.
    std::vector<TextPair> pairs;
    for (const Case &c : corpusA())
        if (std::string(c.name) != "emptyPrediction" && std::string(c.name) != "singleWord")
            pairs.push_back({c.prediction, c.references});
    QCOMPARE(pairs.size(), size_t(10));
    compareBleu(
        bleu(pairs).corpus, {0.786443231221423, 0.6935145434236883, 0.6095735266604834, 0.5105640588702417});
    compareBleu(bleu(pairsOf(corpusA(), 7, 12)).corpus,
        {0.7975082568772961, 0.6946974732013377, 0.5983922867253281, 0.5007316735931621});
}

void TestTextMetrics::ciderDependsOnTheCorpus()
{
    // Same pairs as corpus A's radiology rows, different document frequencies and log(N).
    const std::vector<double> expected
        = {5.065962571174801, 1.7932141940207997, 2.1017228212267924, 3.820565639928927, 2.869273539051637};
    const ScalarScores c = cider(pairsOf(corpusA(), 7, 12));
    QCOMPARE(c.perSample.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
        COMPARE_NEAR(c.perSample[i], expected[i]);

    // One pair: log(1) = 0 makes every tf-idf weight 0, so even an exact match scores 0 upstream.
    const ScalarScores single = cider(pairsOf(corpusA(), 0, 1));
    QCOMPARE(single.perSample.size(), size_t(1));
    COMPARE_NEAR(single.perSample[0], 0.0);
    COMPARE_NEAR(single.corpus, 0.0);
}

void TestTextMetrics::sentenceBleuIsThePerSampleScore()
{
    for (const Case &c : corpusA())
        compareBleu(sentenceBleu({c.prediction, c.references}), c.bleu);
    // A one-pair corpus: corpus score = the pair's score.
    const BleuScores one = bleu(pairsOf(corpusA(), 0, 1));
    compareBleu(one.corpus, {0.9999999995000004, 0.9999999994583337, 0.9999999993888894, 0.9999999992291674});
}

void TestTextMetrics::rawInputIsTokenizedFirst()
{
    const std::vector<TextPair> &raw = corpusARaw();
    QCOMPARE(raw.size(), corpusA().size());
    for (size_t i = 0; i < raw.size(); ++i) {
        QCOMPARE(tokenizeReportJoined(raw[i].prediction), std::string(corpusA()[i].prediction));
        for (size_t j = 0; j < raw[i].references.size(); ++j)
            QCOMPARE(tokenizeReportJoined(raw[i].references[j]), corpusA()[i].references[j]);
    }
    const std::vector<TextPair> tokenized = tokenizePairs(raw);
    QCOMPARE(tokenized.size(), raw.size());
    QCOMPARE(tokenized[2].references.size(), size_t(3));

    const BleuScores b = bleu(raw, TextInput::Raw);
    const ScalarScores r = rougeL(raw, TextInput::Raw);
    const ScalarScores c = cider(raw, TextInput::Raw);
    for (size_t i = 0; i < raw.size(); ++i) {
        compareBleu(b.perSample[i], corpusA()[i].bleu);
        COMPARE_NEAR(r.perSample[i], corpusA()[i].rouge);
        COMPARE_NEAR(c.perSample[i], corpusA()[i].cider);
    }
    COMPARE_NEAR(c.corpus, 2.9025051204111905);
}

void TestTextMetrics::invalidAndEmptyInput()
{
    const std::vector<TextPair> noReference = {{"no acute process", {}}};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bleu(noReference));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, rougeL(noReference));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, cider(noReference));

    const std::vector<TextPair> none;
    QVERIFY(bleu(none).perSample.empty());
    QCOMPARE(bleu(none).corpus[3], 0.0);
    QVERIFY(rougeL(none).perSample.empty());
    QVERIFY(cider(none).perSample.empty());
    QCOMPARE(cider(none).corpus, 0.0);
}

void TestTextMetrics::tokenizer_data()
{
    QTest::addColumn<QString>("raw");
    QTest::addColumn<QString>("tokens");
    // Expected: PTBTokenizer -preserveLines -lowerCase output minus pycocoevalcap's punctuation list,
    // derived by hand from PTBLexer's rules (the jar was not available).
    QTest::newRow("sentence period") << "No acute cardiopulmonary process."
                                     << "no acute cardiopulmonary process";
    QTest::newRow("possessive") << "The patient's heart size is normal."
                                << "the patient 's heart size is normal";
    QTest::newRow("hyphen, decimal") << "Well-defined 2.5 cm nodule in the right upper lobe."
                                     << "well-defined 2.5 cm nodule in the right upper lobe";
    QTest::newRow("comma") << "There is a small left pleural effusion, unchanged from prior."
                           << "there is a small left pleural effusion unchanged from prior";
    QTest::newRow("semicolon") << "Lungs are clear; no pneumothorax."
                               << "lungs are clear no pneumothorax";
    // pycocoevalcap filters "-LRB-" but the tokens were lower-cased first, so brackets survive.
    QTest::newRow("parentheses") << "Mild cardiomegaly (stable)."
                                 << "mild cardiomegaly -lrb- stable -rrb-";
    QTest::newRow("brackets") << "Tube [see prior] {ok}"
                              << "tube -lsb- see prior -rsb- -lcb- ok -rcb-";
    QTest::newRow("colon") << "Findings: No focal consolidation."
                           << "findings no focal consolidation";
    QTest::newRow("n't") << "The lungs don't show edema."
                         << "the lungs do n't show edema";
    QTest::newRow("can't") << "Can't exclude early pneumonia."
                           << "ca n't exclude early pneumonia";
    QTest::newRow("isn't, 'll, 'm") << "We'll follow up; I'm not sure it isn't new."
                                    << "we 'll follow up i 'm not sure it is n't new";
    QTest::newRow("cannot") << "Pneumonia cannot be excluded."
                            << "pneumonia cannot be excluded";
    QTest::newRow("plural possessive") << "Patients' films were compared."
                                       << "patients films were compared";
    QTest::newRow("alphanumeric hyphen") << "T2-weighted images show a 1.5-cm lesion, C5-C6."
                                         << "t2-weighted images show a 1.5-cm lesion c5-c6";
    QTest::newRow("number then unit") << "Nodule 2.5cm, 5mm."
                                      << "nodule 2.5 cm 5mm";
    QTest::newRow("ellipsis, !") << "Heart size is normal... lungs are clear!"
                                 << "heart size is normal lungs are clear";
    QTest::newRow("double dash") << "Compared with the prior study -- no change."
                                 << "compared with the prior study no change";
    QTest::newRow("double quotes") << "There is \"ground-glass\" opacity."
                                   << "there is ground-glass opacity";
    QTest::newRow("single quotes") << "'Mild' edema"
                                   << "mild edema";
    QTest::newRow("e.g.") << "Opacity at the left base, e.g. atelectasis."
                          << "opacity at the left base e.g. atelectasis";
    QTest::newRow("i.e.,") << "The heart is enlarged, i.e., cardiomegaly."
                           << "the heart is enlarged i.e. cardiomegaly";
    QTest::newRow("title, time") << "Dr. Smith was notified at 10:30 today."
                                 << "dr. smith was notified at 10:30 today";
    QTest::newRow("slash") << "Consolidation and/or effusion?"
                           << "consolidation and\\/or effusion";
    QTest::newRow("percent, thousands") << "50% stenosis; 1,000 mL drained."
                                        << "50 % stenosis 1,000 ml drained";
    QTest::newRow("unicode punctuation") << QString::fromUtf8(
        "\xE2\x80\x9CNormal\xE2\x80\x9D and it\xE2\x80\x99s fine \xE2\x80\x94 really\xE2\x80\xA6")
                                         << "normal and it 's fine really";
    QTest::newRow("o'name, latin-1") << QString::fromUtf8("Dr. O'Brien's \xC3\x89tude.")
                                     << QString::fromUtf8("dr. o'brien 's \xC3\xA9tude");
    QTest::newRow("whitespace only") << " \t\n "
                                     << "";
}

void TestTextMetrics::tokenizer()
{
    QFETCH(QString, raw);
    QFETCH(QString, tokens);
    QCOMPARE(QString::fromStdString(tokenizeReportJoined(raw.toStdString())), tokens);
    const std::vector<std::string> list = tokenizeReport(raw.toStdString());
    QCOMPARE(static_cast<qsizetype>(list.size()), tokens.isEmpty() ? 0 : tokens.count(QLatin1Char(' ')) + 1);
}

QTEST_GUILESS_MAIN(TestTextMetrics)
#include "tst_text_metrics.moc"
