// The DICOM tag listing: keywords, VRs and values of the file meta header and data set, PHI
// flagged exactly for the phi_tags.h attributes, long text truncated, binary and sequence
// values summarised, character sets converted, non-DICOM files recognised, broken ones
// reported with their path.

// DCMTK's configuration header must precede every other DCMTK header.
#include <dcmtk/config/osconfig.h>

#include "imaging/dicom_tags.h"
#include "imaging/phi_tags.h"

#include "dicom_fixture.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace fmw::imaging;

namespace {

const DicomTag *find(const DicomTagList &list, quint16 group, quint16 element)
{
    for (const DicomTag &t : list.tags)
        if (t.group == group && t.element == element)
            return &t;
    return nullptr;
}

fmwtest::DicomSpec smallSpec()
{
    fmwtest::DicomSpec s;
    s.rows = 2;
    s.cols = 3;
    s.words = {1, 2, 3, 4, 5, 6};
    s.patientName = QStringLiteral("Doe^Jane");
    s.patientId = QStringLiteral("PID-4711");
    s.institution = QStringLiteral("General Hospital");
    return s;
}

// Adds attributes the fixture does not write: a long comment, a sequence, UTF-8 text.
void addExtras(const QString &path, bool utf8Name)
{
    DcmFileFormat file;
    QVERIFY(file.loadFile(OFFilename(QFile::encodeName(path).constData())).good());
    DcmDataset *ds = file.getDataset();
    QVERIFY(ds->putAndInsertString(DCM_ImageComments, QByteArray(500, 'x').constData()).good());
    DcmItem *item = nullptr;
    QVERIFY(ds->findOrCreateSequenceItem(DCM_ReferencedImageSequence, item, -2).good());
    QVERIFY(ds->findOrCreateSequenceItem(DCM_ReferencedImageSequence, item, -2).good());
    if (utf8Name) {
        QVERIFY(ds->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192").good());
        QVERIFY(ds->putAndInsertString(DCM_PatientName, QStringLiteral("Müller^Zoë").toUtf8().constData()).good());
    }
    QVERIFY(file.saveFile(OFFilename(QFile::encodeName(path).constData()), EXS_LittleEndianExplicit).good());
}

} // namespace

class TestDicomTags : public QObject {
    Q_OBJECT

private slots:
    void listsMetaHeaderAndDataSet();
    void flagsExactlyThePhiTags();
    void summarisesLongBinaryAndSequenceValues();
    void convertsCharacterSet();
    void nonDicomFilesAreNotErrors();
    void brokenFilesAreErrors();

private:
    QTemporaryDir m_dir;
};

void TestDicomTags::listsMetaHeaderAndDataSet()
{
    const QString path = m_dir.filePath(QStringLiteral("a.dcm"));
    QString error;
    QVERIFY2(fmwtest::writeDicom(path, smallSpec(), &error), qPrintable(error));
    const auto list = readDicomTags(path);
    QVERIFY2(list.ok(), list.ok() ? "" : list.error().toString().c_str());
    QVERIFY(list->isDicom);

    // Meta header first, then the data set, each in tag order.
    QCOMPARE(list->tags.front().group, quint16(0x0002));
    const DicomTag *xfer = find(*list, 0x0002, 0x0010);
    QVERIFY(xfer);
    QCOMPARE(xfer->keyword, QStringLiteral("TransferSyntaxUID"));
    QCOMPARE(xfer->vr, QStringLiteral("UI"));
    QCOMPARE(xfer->value, QStringLiteral("1.2.840.10008.1.2.1"));

    const DicomTag *modality = find(*list, 0x0008, 0x0060);
    QVERIFY(modality);
    QCOMPARE(modality->keyword, QStringLiteral("Modality"));
    QCOMPARE(modality->value, QStringLiteral("DX"));
    QCOMPARE(modality->tagText(), QStringLiteral("(0008,0060)"));
    QVERIFY(!modality->isPhi);

    const DicomTag *columns = find(*list, 0x0028, 0x0011);
    QVERIFY(columns);
    QCOMPARE(columns->vr, QStringLiteral("US"));
    QCOMPARE(columns->value, QStringLiteral("3"));

    const DicomTag *pixels = find(*list, 0x7FE0, 0x0010);
    QVERIFY(pixels);
    QCOMPARE(pixels->tagText(), QStringLiteral("(7FE0,0010)"));
    QCOMPARE(pixels->value, QStringLiteral("(binary, 12 bytes)"));
    for (std::size_t i = 1; i < list->tags.size(); ++i) {
        const DicomTag &a = list->tags[i - 1];
        const DicomTag &b = list->tags[i];
        QVERIFY((quint32(a.group) << 16 | a.element) < (quint32(b.group) << 16 | b.element));
    }
}

void TestDicomTags::flagsExactlyThePhiTags()
{
    const QString path = m_dir.filePath(QStringLiteral("phi.dcm"));
    QVERIFY(fmwtest::writeDicom(path, smallSpec()));
    const auto list = readDicomTags(path);
    QVERIFY(list.ok());
    const DicomTag *name = find(*list, 0x0010, 0x0010);
    QVERIFY(name);
    QCOMPARE(name->keyword, QStringLiteral("PatientName"));
    QCOMPARE(name->vr, QStringLiteral("PN"));
    QCOMPARE(name->value, QStringLiteral("Doe^Jane"));  // read; the caller hides it
    QVERIFY(name->isPhi);
    QVERIFY(find(*list, 0x0010, 0x0020)->isPhi);  // PatientID
    QVERIFY(find(*list, 0x0008, 0x0080)->isPhi);  // InstitutionName

    int phi = 0;
    for (const DicomTag &t : list->tags) {
        bool listed = false;
        for (const PhiTag &p : phiTags())
            listed = listed || (p.group == t.group && p.element == t.element);
        QCOMPARE(t.isPhi, listed);
        phi += t.isPhi;
    }
    QCOMPARE(phi, 3);
}

void TestDicomTags::summarisesLongBinaryAndSequenceValues()
{
    const QString path = m_dir.filePath(QStringLiteral("extras.dcm"));
    QVERIFY(fmwtest::writeDicom(path, smallSpec()));
    addExtras(path, false);
    if (QTest::currentTestFailed())
        return;
    const auto list = readDicomTags(path);
    QVERIFY(list.ok());
    const DicomTag *comments = find(*list, 0x0020, 0x4000);
    QVERIFY(comments);
    QCOMPARE(comments->vr, QStringLiteral("LT"));
    QVERIFY(comments->value.startsWith(QString(kMaxDicomTagValueChars - 1, QLatin1Char('x')) + QStringLiteral("…")));
    QVERIFY(comments->value.endsWith(QStringLiteral("(500 characters)")));
    const DicomTag *seq = find(*list, 0x0008, 0x1140);
    QVERIFY(seq);
    QCOMPARE(seq->vr, QStringLiteral("SQ"));
    QCOMPARE(seq->value, QStringLiteral("(sequence, 2 items)"));
    // Only the top level: nothing from inside the sequence items.
    QCOMPARE(std::count_if(list->tags.begin(), list->tags.end(),
                           [](const DicomTag &t) { return t.group == 0xFFFE; }),
             0);
}

void TestDicomTags::convertsCharacterSet()
{
    const QString path = m_dir.filePath(QStringLiteral("utf8.dcm"));
    QVERIFY(fmwtest::writeDicom(path, smallSpec()));
    addExtras(path, true);
    if (QTest::currentTestFailed())
        return;
    const auto list = readDicomTags(path);
    QVERIFY(list.ok());
    QCOMPARE(find(*list, 0x0010, 0x0010)->value, QStringLiteral("Müller^Zoë"));
}

void TestDicomTags::nonDicomFilesAreNotErrors()
{
    const QString png = m_dir.filePath(QStringLiteral("x.png"));
    QImage image(4, 4, QImage::Format_Grayscale8);
    image.fill(7);
    QVERIFY(image.save(png));
    const auto fromPng = readDicomTags(png);
    QVERIFY(fromPng.ok());
    QVERIFY(!fromPng->isDicom);
    QVERIFY(fromPng->tags.empty());

    const QString text = m_dir.filePath(QStringLiteral("notes.txt"));
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("just some text, not an image at all\n");
    f.close();
    const auto fromText = readDicomTags(text);
    QVERIFY(fromText.ok());
    QVERIFY(!fromText->isDicom);
}

void TestDicomTags::brokenFilesAreErrors()
{
    const QString missing = m_dir.filePath(QStringLiteral("missing.dcm"));
    const auto gone = readDicomTags(missing);
    QVERIFY(!gone.ok());
    QCOMPARE(gone.error().code, fmw::ErrorCode::Io);
    QCOMPARE(QString::fromStdString(gone.error().path), missing);

    // A Part 10 preamble followed by garbage: claims to be DICOM, so failing is an error.
    const QString broken = m_dir.filePath(QStringLiteral("broken.dcm"));
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(128, '\0') + "DICM" + QByteArray("\x02\x00\x10\x00UI\xff\x7f", 8) + "1.2");
    f.close();
    const auto bad = readDicomTags(broken);
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, fmw::ErrorCode::Parse);
    QVERIFY(QString::fromStdString(bad.error().toString()).contains(QStringLiteral("broken.dcm")));
}

QTEST_GUILESS_MAIN(TestDicomTags)
#include "tst_dicom_tags.moc"
