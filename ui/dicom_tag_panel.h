#pragma once
// DicomTagPanel: the current image's DICOM attributes (tag, keyword, VR, value), read off
// the GUI thread. PHI values stay hidden ("••• hidden") until the user checks Reveal PHI;
// a new image hides them again. PNG/JPEG files show "Not a DICOM file".

#include <QWidget>

#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QTableWidget;

namespace fmw::imaging {
struct DicomTag;
}

namespace fmw::ui {

class DicomTagPanel : public QWidget {
    Q_OBJECT
public:
    enum Column { TagColumn, KeywordColumn, VrColumn, ValueColumn, ColumnCount };

    explicit DicomTagPanel(QWidget *parent = nullptr);
    ~DicomTagPanel() override;

    static const QString kHiddenText;  // "••• hidden"

    // Absolute path of the image now shown; "" clears. Same path again: nothing to do.
    void setImage(const QString &absolutePath);
    QString imagePath() const { return m_path; }
    bool isLoading() const { return m_loading; }
    bool isPhiRevealed() const;
    void setPhiRevealed(bool revealed);

    QTableWidget *table() const { return m_table; }  // objectName "dicomTagTable"
    QString message() const;                         // "Not a DICOM file", an error, or ""

signals:
    // The tags of imagePath() are shown (or its message, if it has none).
    void loaded();

private:
    struct Loaded;
    void startLoad();
    void showLoaded(const Loaded &result);
    void fillValues();
    void applyFilter();

    QString m_path;
    quint64 m_serial = 0;
    bool m_loading = false;
    std::vector<imaging::DicomTag> m_tags;
    QLabel *m_message;
    QLineEdit *m_filter;
    QCheckBox *m_reveal;
    QTableWidget *m_table;
};

} // namespace fmw::ui
