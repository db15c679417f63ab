#pragma once
// MainWindow: the workbench shell. Owns the open DatasetDocument and wires the record list
// (left), image view (centre), caption editor (right) and status bar to it; runs dataset
// opening and image decoding off the GUI thread; guards unsaved changes on close and on
// opening another folder.

#include "common/result.h"

#include <QFuture>
#include <QMainWindow>
#include <QPointer>

#include <memory>

class QAction;
class QMenu;

namespace fmw {
class DatasetDocument;
}

namespace fmw::ui {

class CaptionEditor;
class ImageStatusBar;
class ImageView;
class RecordListModel;
class RecordListPanel;
class ThumbnailLoader;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Asks about unsaved changes, then loads `dir` in the background; datasetOpened or
    // datasetOpenFailed follows. Returns false if the user cancelled.
    bool openFolder(const QString &dir);
    // Saves through the document; shows the error (and keeps every edit) on failure.
    bool save();

    DatasetDocument *document() const { return m_document.get(); }
    bool isModified() const;
    bool isOpening() const { return m_opening; }

    // Selects `image` in the list (and shows it). False if the dataset has no such image.
    bool selectImage(const QString &image);
    QString currentImage() const { return m_currentImage; }

    // When false, errors are reported through errorReported only, never in a message box
    // (headless --screenshot runs).
    void setInteractive(bool interactive) { m_interactive = interactive; }
    // Extra lines for Help › About (e.g. the LibTorch version, known only to the executable).
    void setRuntimeInfo(const QString &info) { m_runtimeInfo = info; }

    // The dataset list is loaded, the current image decoded and shown, and the thumbnails of
    // the rows on screen are loaded. settled() is emitted whenever this becomes true.
    bool isSettled() const;
    // Grabs the window into a PNG.
    Status saveScreenshot(const QString &path);

    void restoreLayout();

    ImageView *imageView() const { return m_view; }
    CaptionEditor *captionEditor() const { return m_captions; }
    RecordListPanel *recordList() const { return m_list; }
    RecordListModel *recordModel() const { return m_model; }
    ThumbnailLoader *thumbnailLoader() const { return m_thumbnails; }

signals:
    void datasetOpened(const QString &rootDir);
    void datasetOpenFailed(const QString &message);
    void imageShown(const QString &image);
    void imageFailed(const QString &image, const QString &message);
    void settled();
    void errorReported(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    void startOpen(const QString &dir);
    void setDocument(std::shared_ptr<DatasetDocument> document);
    void releaseDocument();
    void showImage(const QString &image);
    void updateBoxes();
    void updateTitle();
    void updateActions();
    void rebuildRecentMenu();
    // Save / Discard / Cancel; true when it is fine to drop the current document.
    bool maybeSaveChanges();
    void reportError(const QString &title, const QString &message, const QString &dialogName);
    void checkSettled();
    void undo();
    void redo();
    void showAbout();

    std::shared_ptr<DatasetDocument> m_document;
    ThumbnailLoader *m_thumbnails;
    RecordListModel *m_model;
    RecordListPanel *m_list = nullptr;
    ImageView *m_view;
    CaptionEditor *m_captions = nullptr;
    ImageStatusBar *m_status;

    QAction *m_openAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    QAction *m_fitAction = nullptr;
    QAction *m_actualSizeAction = nullptr;
    QAction *m_zoomInAction = nullptr;
    QAction *m_zoomOutAction = nullptr;
    QAction *m_invertAction = nullptr;
    QAction *m_resetWindowAction = nullptr;
    QMenu *m_recentMenu = nullptr;

    quint64 m_openSerial = 0;
    bool m_opening = false;
    quint64 m_imageSerial = 0;
    bool m_imageLoading = false;
    QFuture<void> m_pendingDecode;
    QString m_currentImage;
    bool m_interactive = true;
    QString m_runtimeInfo;
};

} // namespace fmw::ui
