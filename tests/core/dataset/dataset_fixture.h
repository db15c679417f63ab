#pragma once
// A small dataset folder with every awkward case the codec must survive: unknown fields,
// odd number formats, escapes, CRLF, a missing final newline, malformed and invalid UTF-8
// lines, records without image, images without record.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QString>
#include <QTemporaryDir>
#include <QtTest/QTest>

namespace fmwtest {

// train.jsonl, line by line (LF, final newline).
inline QByteArray trainJsonl()
{
    return QByteArray(
        // 1: unknown fields, odd numbers, nested
        R"({"image": "a.png", "prefix": "<CAPTION>", "suffix": "Normal chest.", "extra": {"score": 1e5, "w": 1.50, "z": -0.0, "big": 12345678901234567890}, "tags": ["x", null, true]})"
        "\n"
        // 2: other key order, compact, unknown trailing field
        R"({"suffix":"nodule<loc_100><loc_200><loc_300><loc_400>pleural effusion<loc_500><loc_600><loc_700><loc_800>","prefix":"<OD>","image":"a.png","id":7})"
        "\n"
        // 3: ASCII escapes in json.dumps style
        R"({"image": "b.png", "prefix": "<CAPTION>", "suffix": "Caf\u00e9 \"quoted\" \ud83d\ude00 tab\tend\/"})"
        "\n"
        // 4: malformed
        "this is not json\n"
        // 5: missing suffix
        R"({"image": "c.png", "prefix": "<CAPTION>"})"
        "\n"
        // 6: invalid UTF-8 inside a string
        "{\"image\": \"\xff.png\", \"prefix\": \"<CAPTION>\", \"suffix\": \"x\"}\n"
        // 7: invalid <OD>
        R"({"image": "b.png", "prefix": "<OD>", "suffix": "nodule<loc_1><loc_2>"})"
        "\n"
        // 8: image missing on disk
        R"({"image": "missing.png", "prefix": "<CAPTION>", "suffix": "x"})"
        "\n"
        // 9: blank line, kept and not a problem
        "\n"
        // 10: raw UTF-8 and a valid <OD> record of another image
        "{\"image\": \"sub/d.dcm\", \"prefix\": \"<OD>\", \"suffix\": "
        "\"opacit\xc3\xa9<loc_10><loc_20><loc_30><loc_40>\"}\n");
}

// val.jsonl: CRLF, no final newline.
inline QByteArray valJsonl()
{
    return QByteArray(R"({"image": "b.png", "prefix": "<CAPTION>", "suffix": "Val caption."})"
                      "\r\n"
                      R"({"image": "b.png", "prefix": "<OD>", "suffix": ""})");
}

inline QByteArray trainDetailedJsonl()
{
    return QByteArray(
        R"({"image": "a.png", "prefix": "<DETAILED_CAPTION>", "suffix": "Lungs clear. Heart normal."})"
        "\n"
        R"({"image": "b.png", "prefix": "<DETAILED_CAPTION>", "suffix": "Small nodule."})"
        "\n");
}

inline QByteArray readBytes(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QByteArray("<unreadable>");
    return f.readAll();
}

inline bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// A fresh copy of the fixture dataset in its own temporary folder.
class FixtureDataset {
public:
    FixtureDataset()
    {
        QVERIFY(m_dir.isValid());
        files.insert(QStringLiteral("train.jsonl"), trainJsonl());
        files.insert(QStringLiteral("val.jsonl"), valJsonl());
        files.insert(QStringLiteral("train_detailed_caption.jsonl"), trainDetailedJsonl());
        for (auto it = files.cbegin(); it != files.cend(); ++it)
            writeBytes(path(it.key()), it.value());
        for (const char *image : {"images/a.png", "images/b.png", "images/c.png", "images/sub/d.dcm",
                 "images/e", "images/notes.txt"})
            writeBytes(path(QString::fromLatin1(image)), QByteArray("img"));
    }

    QString root() const { return m_dir.path(); }
    QString path(const QString &relative) const { return QDir(m_dir.path()).filePath(relative); }
    QByteArray read(const QString &relative) const { return readBytes(path(relative)); }
    // Every *.jsonl at the root with its bytes.
    QMap<QString, QByteArray> snapshot() const
    {
        QMap<QString, QByteArray> out;
        for (const QString &name : QDir(root()).entryList({QStringLiteral("*.jsonl")}, QDir::Files))
            out.insert(name, read(name));
        return out;
    }

    QMap<QString, QByteArray> files; // as written

private:
    QTemporaryDir m_dir;
};

} // namespace fmwtest
