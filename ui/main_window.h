#pragma once
// MainWindow: the workbench shell. Owns the open DatasetDocument and wires the record list
// (left), image view (centre), caption editor (right) and status bar to it; runs dataset
// opening and image decoding off the GUI thread; guards unsaved changes on close and on
// opening another folder.

#include "common/result.h"
#include "ui/workbench_settings.h"

#include <QFuture>
#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <optional>
#include <utility>

class QAction;
class QDockWidget;
class QMenu;
class QTabWidget;

namespace fmw {
class DatasetDocument;
}

namespace fmw::ui {

class BoxEditController;
class CaptionEditor;
class CompareView;
class ModelRunner;
class PreviewPanel;
class TrainingPanel;
class DicomTagPanel;
class ProblemsPanel;
class WindowPresetActions;
class ImageStatusBar;
class ImageView;
class RecordListModel;
class RecordListPanel;
class RecoveryController;
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

    // The dataset list is loaded, the current image decoded and shown, and the thumbnails of
    // the rows on screen are loaded. settled() is emitted whenever this becomes true.
    bool isSettled() const;
    // Grabs the window into a PNG.
    Status saveScreenshot(const QString &path);

    void restoreLayout();

    const WorkbenchSettings &settings() const { return m_settings; }
    // Stores `settings` (QSettings) and applies them (threads now; model panels on next load).
    void applySettings(const WorkbenchSettings &settings);
    // Help › About's text: versions of the application and of every library it runs on.
    QString aboutText() const;

    ImageView *imageView() const { return m_view; }
    CaptionEditor *captionEditor() const { return m_captions; }
    BoxEditController *boxEditor() const { return m_boxes; }
    TrainingPanel *trainingPanel() const { return m_training; }
    PreviewPanel *previewPanel() const { return m_preview; }
    CompareView *compareView() const { return m_compare; }
    QTabWidget *workspaceTabs() const { return m_tabs; }
    // Brings a workspace to the front (Curate, Train, Compare).
    void showCuratePanel();
    void showTrainingPanel();
    void showComparePanel();
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
    void settingsChanged();

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
    void showShortcuts();
    void showSettings();
    void applyAutosave();
    void applyModelSettings();
    void showComparedSample(const QString &image, const QString &prefix, const QString &prediction);
    void applyComparedOverlay();
    void onWorkspaceChanged(int index);

    std::shared_ptr<DatasetDocument> m_document;
    ThumbnailLoader *m_thumbnails;
    RecordListModel *m_model;
    RecordListPanel *m_list = nullptr;
    ImageView *m_view;
    CaptionEditor *m_captions = nullptr;
    BoxEditController *m_boxes = nullptr;
    DicomTagPanel *m_tags = nullptr;
    ProblemsPanel *m_problems = nullptr;
    WindowPresetActions *m_presets = nullptr;
    QTabWidget *m_tabs = nullptr;
    ModelRunner *m_runner = nullptr;
    TrainingPanel *m_training = nullptr;
    CompareView *m_compare = nullptr;
    PreviewPanel *m_preview = nullptr;
    QAction *m_curateAction = nullptr;
    QAction *m_trainAction = nullptr;
    QAction *m_compareAction = nullptr;
    std::optional<std::pair<QString, QString>> m_comparedOverlay; // image, <OD> prediction
    QList<QPointer<QDockWidget>> m_dockedAside; // hidden while Train or Compare is shown
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
    QAction *m_settingsAction = nullptr;
    QAction *m_shortcutsAction = nullptr;
    QMenu *m_recentMenu = nullptr;
    WorkbenchSettings m_settings;
    RecoveryController *m_recovery = nullptr;

    quint64 m_openSerial = 0;
    bool m_opening = false;
    quint64 m_imageSerial = 0;
    bool m_imageLoading = false;
    QFuture<void> m_pendingDecode;
    QString m_currentImage;
    bool m_interactive = true;
};

} // namespace fmw::ui
