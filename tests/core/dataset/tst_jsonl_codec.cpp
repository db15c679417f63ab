// The JSONL line codec: lossless line splitting, strict JSON and UTF-8 validation with
// readable messages, and span-preserving re-serialisation of edited records.

#include "dataset/dataset_record.h"
#include "dataset/jsonl_codec.h"

#include <QTest>

using namespace fmw;
using jsonl::LineEnd;
using Status = jsonl::ParsedLine::Status;

Q_DECLARE_METATYPE(fmw::jsonl::ParsedLine::Status)
Q_DECLARE_METATYPE(fmw::Split)

class TestJsonlCodec : public QObject {
    Q_OBJECT
private slots:
    void splitLines_data();
    void splitLines();
    void invalidUtf8_data();
    void invalidUtf8();
    void parseLine_data();
    void parseLine();
    void decodedValues();
    void serializeKeepsUnchangedBytes();
    void serializeReplacesOnlyChangedValues_data();
    void serializeReplacesOnlyChangedValues();
    void serializeNewRecord();
    void splitFileNames_data();
    void splitFileNames();
};

void TestJsonlCodec::splitLines_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QByteArrayList>("lines");
    QTest::addColumn<QList<int>>("ends"); // LineEnd per line
    const int none = int(LineEnd::None), lf = int(LineEnd::Lf), crlf = int(LineEnd::CrLf);

    QTest::newRow("empty") << QByteArray() << QByteArrayList {} << QList<int> {};
    QTest::newRow("final newline") << QByteArray("a\nb\n") << QByteArrayList {"a", "b"}
                                   << QList<int> {lf, lf};
    QTest::newRow("no final newline")
        << QByteArray("a\nb") << QByteArrayList {"a", "b"} << QList<int> {lf, none};
    QTest::newRow("crlf") << QByteArray("a\r\nb\r\n") << QByteArrayList {"a", "b"} << QList<int> {crlf, crlf};
    QTest::newRow("mixed, lone cr kept in line")
        << QByteArray("a\rx\r\nb\nc") << QByteArrayList {"a\rx", "b", "c"} << QList<int> {crlf, lf, none};
    QTest::newRow("blank lines") << QByteArray("\n\n") << QByteArrayList {"", ""} << QList<int> {lf, lf};
}

void TestJsonlCodec::splitLines()
{
    QFETCH(QByteArray, content);
    QFETCH(QByteArrayList, lines);
    QFETCH(QList<int>, ends);
    const auto spans = jsonl::splitLines(content);
    QCOMPARE(int(spans.size()), lines.size());
    QByteArray rebuilt;
    for (size_t i = 0; i < spans.size(); ++i) {
        QCOMPARE(content.mid(spans[i].offset, spans[i].length), lines[int(i)]);
        QCOMPARE(int(spans[i].end), ends[int(i)]);
        rebuilt
            += content.mid(spans[i].offset, spans[i].length) + jsonl::terminator(spans[i].end).toByteArray();
    }
    QCOMPARE(rebuilt, content);
}

void TestJsonlCodec::invalidUtf8_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("badAt");
    QTest::newRow("ascii") << QByteArray("plain ascii text, long enough for the fast path") << -1;
    QTest::newRow("valid 2/3/4 byte") << QByteArray("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") << -1;
    QTest::newRow("lone continuation") << QByteArray("ab\x80") << 2;
    QTest::newRow("0xff") << QByteArray("abcdefghij\xff") << 10;
    QTest::newRow("overlong 2-byte") << QByteArray("\xc0\x80") << 0;
    QTest::newRow("overlong 3-byte") << QByteArray("x\xe0\x80\x80") << 1;
    QTest::newRow("utf-16 surrogate") << QByteArray("\xed\xa0\x80") << 0;
    QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << 0;
    QTest::newRow("truncated at end") << QByteArray("ok\xe2\x82") << 2;
}

void TestJsonlCodec::invalidUtf8()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, badAt);
    QCOMPARE(int(jsonl::findInvalidUtf8(bytes)), badAt);
}

void TestJsonlCodec::parseLine_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<Status>("status");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("record") << QByteArray(R"({"image": "a.png", "prefix": "<OD>", "suffix": ""})")
                            << Status::Record << QString();
    QTest::newRow("record with all JSON value kinds") << QByteArray(
        R"( {"image":"a","prefix":"p","suffix":"s","n":[-0.0,1e5,1.50,2E-3,0,{"a":[]}],"t":true,"f":false,"z":null} )")
                                                      << Status::Record << QString();
    QTest::newRow("blank") << QByteArray(" \t") << Status::Blank << QString();
    QTest::newRow("empty") << QByteArray() << Status::Blank << QString();
    QTest::newRow("not json") << QByteArray("hello") << Status::Malformed << "column 1";
    QTest::newRow("array, not object") << QByteArray("[1]") << Status::Malformed << "JSON object";
    QTest::newRow("trailing comma") << QByteArray(R"({"a": 1,})") << Status::Malformed << "column 9";
    QTest::newRow("missing colon") << QByteArray(R"({"a" 1})") << Status::Malformed << "':' after the key";
    QTest::newRow("unterminated string")
        << QByteArray(R"({"a": "x)") << Status::Malformed << "unterminated string";
    QTest::newRow("leading zero") << QByteArray(R"({"a": 01})") << Status::Malformed << "column 8";
    QTest::newRow("NaN") << QByteArray(R"({"a": NaN})") << Status::Malformed << "column 7";
    QTest::newRow("bare dot") << QByteArray(R"({"a": 1.})") << Status::Malformed << "after '.'";
    QTest::newRow("raw tab in string")
        << QByteArray("{\"a\": \"x\ty\"}") << Status::Malformed << "must be escaped";
    QTest::newRow("bad escape") << QByteArray(R"({"a": "\q"})") << Status::Malformed << "invalid escape";
    QTest::newRow("lone surrogate") << QByteArray(R"({"a": "\ud83d"})") << Status::Malformed << "unpaired";
    QTest::newRow("text after object")
        << QByteArray(R"({"a": 1} x)") << Status::Malformed << "after the JSON object";
    QTest::newRow("two objects") << QByteArray(R"({}{})") << Status::Malformed << "after the JSON object";
    QTest::newRow("deep nesting") << QByteArray(R"({"a": )") + QByteArray(5000, '[') << Status::Malformed
                                  << "nested more than";
    QTest::newRow("invalid utf-8") << QByteArray("{\"image\": \"\xff\"}") << Status::InvalidUtf8
                                   << "column 12";
    QTest::newRow("missing suffix") << QByteArray(R"({"image": "a", "prefix": "p"})") << Status::MissingField
                                    << "\"suffix\" is missing";
    QTest::newRow("suffix not a string") << QByteArray(R"({"image": "a", "prefix": "p", "suffix": 3})")
                                         << Status::MissingField << "\"suffix\" is not a string";
    QTest::newRow("nested image does not count")
        << QByteArray(R"({"x": {"image": "a", "prefix": "p", "suffix": "s"}})") << Status::MissingField
        << "\"image\" is missing";
}

void TestJsonlCodec::parseLine()
{
    QFETCH(QByteArray, line);
    QFETCH(Status, status);
    QFETCH(QString, messagePart);
    const jsonl::ParsedLine parsed = jsonl::parseLine(line);
    QCOMPARE(parsed.status, status);
    QVERIFY2(parsed.message.contains(messagePart), qPrintable(parsed.message));
}

void TestJsonlCodec::decodedValues()
{
    // Escaped key, duplicate key (last wins), escapes, a BOM before the object.
    const QByteArray line = "\xEF\xBB\xBF"
                            R"({"\u0069mage": "x.png", "prefix": "old", "prefix": "<CAPTION>", )"
                            R"("suffix": "Caf\u00e9 \"q\" \ud83d\ude00\n\/\\"})";
    const jsonl::ParsedLine parsed = jsonl::parseLine(line);
    QCOMPARE(parsed.status, Status::Record);
    QCOMPARE(parsed.image, QStringLiteral("x.png"));
    QCOMPARE(parsed.prefix, QStringLiteral("<CAPTION>"));
    QCOMPARE(parsed.suffix, QString::fromUtf8("Caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80\n/\\"));
}

void TestJsonlCodec::serializeKeepsUnchangedBytes()
{
    const QByteArray line
        = R"({ "suffix" :"Caf\u00e9",  "n": 1.50e+3, "image":"a.png","prefix":"<CAPTION>" })";
    QCOMPARE(jsonl::serializeRecord(line, "a.png", "<CAPTION>", QString::fromUtf8("Caf\xc3\xa9")), line);
}

void TestJsonlCodec::serializeReplacesOnlyChangedValues_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("utf-8 line keeps utf-8")
        << QByteArray("{\"image\": \"a.png\", \"n\": -0.0, \"prefix\": \"<CAPTION>\", \"suffix\": \"old "
                      "\xc3\xa9\", \"z\": 1e5}")
        << QString::fromUtf8("new \xc3\xa9 \"q\"\n")
        << QByteArray("{\"image\": \"a.png\", \"n\": -0.0, \"prefix\": \"<CAPTION>\", \"suffix\": \"new "
                      "\xc3\xa9 \\\"q\\\"\\n\", \"z\": 1e5}");
    QTest::newRow("ascii-escaped line keeps \\u escapes")
        << QByteArray(R"({"suffix": "Caf\u00e9", "image": "a.png", "prefix": "<CAPTION>", "k": [1.50]})")
        << QString::fromUtf8("No\xc3\xabl \xf0\x9f\x98\x80")
        << QByteArray(
               R"({"suffix": "No\u00ebl \ud83d\ude00", "image": "a.png", "prefix": "<CAPTION>", "k": [1.50]})");
    QTest::newRow("control characters") << QByteArray(R"({"image":"a","prefix":"p","suffix":"s"})")
                                        << QStringLiteral("a\x01"
                                                          "b\tc")
                                        << QByteArray(R"({"image":"a","prefix":"p","suffix":"a\u0001b\tc"})");
}

void TestJsonlCodec::serializeReplacesOnlyChangedValues()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, suffix);
    QFETCH(QByteArray, expected);
    const jsonl::ParsedLine before = jsonl::parseLine(line);
    QCOMPARE(before.status, Status::Record);
    const QByteArray out = jsonl::serializeRecord(line, before.image, before.prefix, suffix);
    QCOMPARE(out, expected);
    const jsonl::ParsedLine after = jsonl::parseLine(out);
    QCOMPARE(after.status, Status::Record);
    QCOMPARE(after.suffix, suffix);
}

void TestJsonlCodec::serializeNewRecord()
{
    const QByteArray out
        = jsonl::serializeRecord({}, "x/y.png", "<OD>", QString::fromUtf8("n\xc3\xa9<loc_1>"));
    QCOMPARE(
        out, QByteArray("{\"image\": \"x/y.png\", \"prefix\": \"<OD>\", \"suffix\": \"n\xc3\xa9<loc_1>\"}"));
}

void TestJsonlCodec::splitFileNames_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<Split>("split");
    QTest::addColumn<QString>("variant");
    QTest::newRow("train") << "train.jsonl" << Split::Train << "";
    QTest::newRow("val detailed") << "val_detailed_caption.jsonl" << Split::Val << "_detailed_caption";
    QTest::newRow("test od") << "test_od.jsonl" << Split::Test << "_od";
    QTest::newRow("other") << "notes.jsonl" << Split::Other << "";
    QTest::newRow("prefix word only") << "training.jsonl" << Split::Other << "";
}

void TestJsonlCodec::splitFileNames()
{
    QFETCH(QString, file);
    QFETCH(Split, split);
    QFETCH(QString, variant);
    QCOMPARE(splitOfFile(file), split);
    QCOMPARE(variantOfFile(file), variant);
    if (split != Split::Other)
        QCOMPARE(splitFileName(split, variant), file);
}

QTEST_GUILESS_MAIN(TestJsonlCodec)
#include "tst_jsonl_codec.moc"
