// Word-level LCS diff: alignment of equal, removed and added words, edge cases (empty sides,
// white space), and the HTML of each side (escaped, highlighted).

#include "evaluation/word_diff.h"

#include <QTest>

using namespace fmw::eval;

namespace {

// "=word -word +word" for readable expectations.
QString render(const std::vector<DiffOp> &ops)
{
    QStringList parts;
    for (const DiffOp &op : ops) {
        const char mark = op.kind == DiffOp::Kind::Equal ? '=' : op.kind == DiffOp::Kind::Removed ? '-' : '+';
        parts << QLatin1Char(mark) + QString::fromStdString(op.word);
    }
    return parts.join(QLatin1Char(' '));
}

} // namespace

class TestWordDiff : public QObject {
    Q_OBJECT
private slots:
    void aligns_data();
    void aligns();
    void htmlSidesAreEscapedAndHighlighted();
    void longSimilarTextsStayCheap();
};

void TestWordDiff::aligns_data()
{
    QTest::addColumn<QString>("reference");
    QTest::addColumn<QString>("generated");
    QTest::addColumn<QString>("expected");
    QTest::newRow("identical") << "No acute findings."
                               << "No acute findings."
                               << "=No =acute =findings.";
    QTest::newRow("both empty") << ""
                                << ""
                                << "";
    QTest::newRow("reference empty") << ""
                                     << "Cardiomegaly."
                                     << "+Cardiomegaly.";
    QTest::newRow("generated empty") << "Cardiomegaly."
                                     << ""
                                     << "-Cardiomegaly.";
    QTest::newRow("replaced word, removal first") << "Small right pleural effusion."
                                                  << "Small left pleural effusion."
                                                  << "=Small -right +left =pleural =effusion.";
    QTest::newRow("insertion in the middle") << "No acute abnormality."
                                             << "No acute cardiopulmonary abnormality."
                                             << "=No =acute +cardiopulmonary =abnormality.";
    QTest::newRow("white space does not count") << "  a\tb\n c "
                                                << "a b c"
                                                << "=a =b =c";
    QTest::newRow("case sensitive") << "Edema"
                                    << "edema"
                                    << "-Edema +edema";
    QTest::newRow("reordered keeps the LCS") << "a b c d"
                                             << "b c d a"
                                             << "-a =b =c =d +a";
}

void TestWordDiff::aligns()
{
    QFETCH(QString, reference);
    QFETCH(QString, generated);
    QFETCH(QString, expected);
    QCOMPARE(render(diffWords(reference.toStdString(), generated.toStdString())), expected);
}

void TestWordDiff::htmlSidesAreEscapedAndHighlighted()
{
    const auto ops = diffWords("a <b> & c", "a <b> \"d\"");
    const std::string reference = diffHtml(ops, true);
    const std::string generated = diffHtml(ops, false);
    QCOMPARE(QString::fromStdString(reference).startsWith("a &lt;b&gt; <span class=\"removed\""), true);
    QVERIFY(reference.find("&amp;</span>") != std::string::npos);
    QVERIFY(reference.find("added") == std::string::npos);
    QVERIFY(generated.find("<span class=\"added\"") != std::string::npos);
    QVERIFY(generated.find("&quot;d&quot;</span>") != std::string::npos);
    QVERIFY(generated.find("removed") == std::string::npos);
    QCOMPARE(htmlEscape("<&>\""), std::string("&lt;&amp;&gt;&quot;"));
}

void TestWordDiff::longSimilarTextsStayCheap()
{
    // 20k words each differing in one place: the common head and tail are matched first, so
    // the LCS table covers only the middle.
    std::string a, b;
    for (int i = 0; i < 20000; ++i) {
        a += "w" + std::to_string(i) + " ";
        b += (i == 10000 ? std::string("changed") : "w" + std::to_string(i)) + " ";
    }
    const auto ops = diffWords(a, b);
    QCOMPARE(ops.size(), size_t(20001));
    QCOMPARE(ops[10000].kind, DiffOp::Kind::Removed);
    QCOMPARE(ops[10000].word, std::string("w10000"));
    QCOMPARE(ops[10001].kind, DiffOp::Kind::Added);
}

QTEST_APPLESS_MAIN(TestWordDiff)
#include "tst_word_diff.moc"
