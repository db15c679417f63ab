#include "ui/main_window.h"

#include "dataset/dataset_document.h"
#include "imaging/image_loader.h"
#include "ui/box_edit_controller.h"
#include "ui/box_list_panel.h"
#include "ui/caption_editor.h"
#include "ui/compare_view.h"
#include "ui/dicom_tag_panel.h"
#include "ui/model_runner.h"
#include "ui/preview_panel.h"
#include "ui/training_panel.h"
#include "ui/problems_panel.h"
#include "ui/window_preset_actions.h"
#include "ui/image_status_bar.h"
#include "ui/image_view.h"
#include "ui/recent_folders.h"
#include "ui/record_list_model.h"
#include "ui/record_list_panel.h"
#include "ui/recovery_controller.h"
#include "ui/runtime_versions.h"
#include "ui/settings_dialog.h"
#include "ui/shortcuts_dialog.h"
#include "ui/thumbnail_loader.h"

#include "engine/runtime.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QImageWriter>
#include <QMenuBar>
#include <QMessageBox>
#include <QToolButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QTabWidget>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>

namespace fmw::ui {

namespace {

constexpr int kThumbnailSide = 64;
const QString kOd = QStringLiteral("<OD>");
const QString kAppName = QStringLiteral("Florence Medical Workbench");

struct OpenJob {
    quint64 serial = 0;
    QString dir;
    std::shared_ptr<DatasetDocument> document;
    QString error;
};

struct ImageJob {
    quint64 serial = 0;
    QString image;
    std::shared_ptr<const imaging::DecodedImage> decoded;
    QString error;
};

QString errorText(const Error &error) { return QString::fromStdString(error.toString()); }

// Wide forms scroll instead of forcing their width on the window (and on screenshots).
QScrollArea *scrollable(QWidget *content, const QString &name)
{
    auto *area = new QScrollArea;
    area->setObjectName(name);
    area->setWidget(content);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    m_thumbnails = new ThumbnailLoader(kThumbnailSide, 0, this);
    m_model = new RecordListModel(this);
    m_model->setThumbnailLoader(m_thumbnails);

    m_view = new ImageView(this);
    m_view->clearImage(tr("Open a dataset folder with File › Open Folder (Ctrl+O)."));
    m_boxes = new BoxEditController(m_view, this);
    m_runner = new ModelRunner(this);
    m_training = new TrainingPanel(this);
    m_compare = new CompareView(m_runner, this);

    // Three workspaces: curate (viewer + docks), train, compare. Train and Compare need the
    // width, so the docks step aside there (View menu brings one back) and return on Curate.
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("centralTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_view, tr("Curate"));
    m_tabs->addTab(scrollable(m_training, QStringLiteral("trainingScroll")), tr("Train"));
    m_tabs->addTab(scrollable(m_compare, QStringLiteral("compareScroll")), tr("Compare"));
    setCentralWidget(m_tabs);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::onWorkspaceChanged);

    m_status = new ImageStatusBar(this);
    setStatusBar(m_status);
    connect(m_view, &ImageView::windowChanged, m_status, &ImageStatusBar::setWindow);
    connect(m_view, &ImageView::zoomChanged, m_status, &ImageStatusBar::setZoom);
    connect(m_view, &ImageView::cursorMoved, m_status, &ImageStatusBar::setPixel);
    connect(m_view, &ImageView::cursorLeft, m_status, &ImageStatusBar::clearPixel);

    createDocks();
    createActions();
    createMenus();

    connect(m_thumbnails, &ThumbnailLoader::thumbnailReady, this, &MainWindow::checkSettled);
    connect(m_thumbnails, &ThumbnailLoader::idle, this, &MainWindow::checkSettled);

    m_settings = WorkbenchSettings::load();
    engine::configureThreads(m_settings.threads);
    applyModelSettings();
    if (!m_preview->setTask(m_settings.defaultTask))
        m_preview->setTask(WorkbenchSettings().defaultTask);
    m_recovery = new RecoveryController(this);
    connect(m_recovery, &RecoveryController::autosaveFailed, this, [this](const QString &message) {
        statusBar()->showMessage(tr("Recovery autosave failed: %1").arg(message), 8000);
    });

    resize(1400, 900);
    updateTitle();
    updateActions();
}

MainWindow::~MainWindow() { releaseDocument(); }

void MainWindow::releaseDocument()
{
    // Views first (they hold raw pointers into the document), and no signal of a dying
    // document (its undo stack clears itself on destruction) may reach this window.
    m_recovery->setDocument(nullptr);
    m_problems->setDocument(nullptr);
    m_preview->setImage(QString());
    m_preview->setDocument(nullptr);
    m_compare->setDocument(nullptr);
    m_tags->setImage(QString());
    m_boxes->setImage(QString(), QSize());
    m_boxes->setDocument(nullptr);
    m_captions->setDocument(nullptr);
    m_model->setDocument(nullptr);
    if (m_document) {
        m_document->disconnect(this);
        m_document->undoStack()->disconnect(this);
        m_document.reset();
    }
}

void MainWindow::createDocks()
{
    m_list = new RecordListPanel(m_model, m_thumbnails, this);
    auto *listDock = new QDockWidget(tr("Records"), this);
    listDock->setObjectName(QStringLiteral("recordDock"));
    listDock->setWidget(m_list);
    listDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, listDock);
    connect(m_list, &RecordListPanel::currentImageChanged, this, &MainWindow::showImage);

    m_captions = new CaptionEditor(this);
    auto *captionDock = new QDockWidget(tr("Captions"), this);
    captionDock->setObjectName(QStringLiteral("captionDock"));
    captionDock->setWidget(m_captions);
    captionDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, captionDock);
    connect(m_captions, &CaptionEditor::pendingEditChanged, this, [this] {
        updateTitle();
        updateActions();
    });

    auto *boxDock = new QDockWidget(tr("Boxes"), this);
    boxDock->setObjectName(QStringLiteral("boxDock"));
    boxDock->setWidget(new BoxListPanel(m_boxes, boxDock));
    boxDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, boxDock);
    splitDockWidget(captionDock, boxDock, Qt::Vertical);

    m_preview = new PreviewPanel(m_runner, this);
    auto *previewDock = new QDockWidget(tr("Preview"), this);
    previewDock->setObjectName(QStringLiteral("previewDock"));
    previewDock->setWidget(scrollable(m_preview, QStringLiteral("previewScroll")));
    previewDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable
                             | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::RightDockWidgetArea, previewDock);
    connect(m_preview, &PreviewPanel::predictedBoxesChanged, m_view, &ImageView::setPredictedBoxes);
    connect(m_compare, &CompareView::sampleActivated, this, &MainWindow::showComparedSample);

    m_tags = new DicomTagPanel(this);
    auto *tagDock = new QDockWidget(tr("DICOM Tags"), this);
    tagDock->setObjectName(QStringLiteral("dicomTagDock"));
    tagDock->setWidget(m_tags);
    tagDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable
                         | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::RightDockWidgetArea, tagDock);
    tabifyDockWidget(boxDock, tagDock);
    tabifyDockWidget(boxDock, previewDock);
    boxDock->raise();

    m_problems = new ProblemsPanel(this);
    auto *problemsDock = new QDockWidget(tr("Problems"), this);
    problemsDock->setObjectName(QStringLiteral("problemsDock"));
    problemsDock->setWidget(m_problems);
    problemsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable
                              | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::LeftDockWidgetArea, problemsDock);
    splitDockWidget(listDock, problemsDock, Qt::Vertical);
    connect(m_problems, &ProblemsPanel::jumpToImage, m_list, &RecordListPanel::selectImage);

    resizeDocks({listDock, captionDock}, {330, 380}, Qt::Horizontal);
}

void MainWindow::createActions()
{
    const auto make = [this](const QString &name, const QString &text,
                             const QList<QKeySequence> &keys) {
        auto *action = new QAction(text, this);
        action->setObjectName(name);
        action->setShortcuts(keys);
        addAction(action);
        return action;
    };
    m_openAction = make(QStringLiteral("actionOpen"), tr("&Open Folder…"), {QKeySequence::Open});
    connect(m_openAction, &QAction::triggered, this, [this] {
        const QString start = m_document ? m_document->rootDir() : QDir::homePath();
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Dataset Folder"), start);
        if (!dir.isEmpty())
            openFolder(dir);
    });
    m_saveAction = make(QStringLiteral("actionSave"), tr("&Save"), {QKeySequence::Save});
    connect(m_saveAction, &QAction::triggered, this, &MainWindow::save);
    m_quitAction = make(QStringLiteral("actionQuit"), tr("&Quit"), {QKeySequence::Quit});
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_undoAction = make(QStringLiteral("actionUndo"), tr("&Undo"), {QKeySequence::Undo});
    connect(m_undoAction, &QAction::triggered, this, &MainWindow::undo);
    m_redoAction = make(QStringLiteral("actionRedo"), tr("&Redo"),
                        {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    connect(m_redoAction, &QAction::triggered, this, &MainWindow::redo);

    m_fitAction = make(QStringLiteral("actionFit"), tr("&Fit to Window"), {QKeySequence(Qt::Key_F)});
    connect(m_fitAction, &QAction::triggered, m_view, &ImageView::fitToWindow);
    m_actualSizeAction = make(QStringLiteral("actionActualSize"), tr("&Actual Size (1:1)"),
                              {QKeySequence(Qt::Key_1)});
    connect(m_actualSizeAction, &QAction::triggered, m_view, &ImageView::zoomToActualSize);
    m_zoomInAction = make(QStringLiteral("actionZoomIn"), tr("Zoom &In"),
                          {QKeySequence::ZoomIn, QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)});
    connect(m_zoomInAction, &QAction::triggered, m_view, &ImageView::zoomIn);
    m_zoomOutAction = make(QStringLiteral("actionZoomOut"), tr("Zoom &Out"),
                           {QKeySequence::ZoomOut, QKeySequence(Qt::Key_Minus)});
    connect(m_zoomOutAction, &QAction::triggered, m_view, &ImageView::zoomOut);
    m_invertAction = make(QStringLiteral("actionInvert"), tr("&Invert"), {QKeySequence(Qt::Key_I)});
    m_invertAction->setCheckable(true);
    connect(m_invertAction, &QAction::toggled, m_view, &ImageView::setInverted);
    connect(m_view, &ImageView::invertedChanged, m_invertAction, &QAction::setChecked);
    m_resetWindowAction = make(QStringLiteral("actionResetWindow"), tr("&Reset Window"),
                               {QKeySequence(Qt::Key_R)});
    connect(m_resetWindowAction, &QAction::triggered, m_view, &ImageView::resetWindow);
    m_presets = new WindowPresetActions({}, m_view, this);
    addActions(m_presets->actions());

    m_curateAction = make(QStringLiteral("actionShowCurate"), tr("&Curate"), {QKeySequence(Qt::CTRL | Qt::Key_1)});
    connect(m_curateAction, &QAction::triggered, this, &MainWindow::showCuratePanel);
    m_trainAction = make(QStringLiteral("actionShowTrain"), tr("&Train"), {QKeySequence(Qt::CTRL | Qt::Key_2)});
    connect(m_trainAction, &QAction::triggered, this, &MainWindow::showTrainingPanel);
    m_compareAction = make(QStringLiteral("actionShowCompare"), tr("C&ompare"), {QKeySequence(Qt::CTRL | Qt::Key_3)});
    connect(m_compareAction, &QAction::triggered, this, &MainWindow::showComparePanel);

    m_settingsAction = make(QStringLiteral("actionSettings"), tr("&Settings…"),
                            {QKeySequence::Preferences, QKeySequence(Qt::CTRL | Qt::Key_Comma)});
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::showSettings);
    m_shortcutsAction = make(QStringLiteral("actionShortcuts"), tr("&Keyboard Shortcuts"),
                             {QKeySequence(Qt::CTRL | Qt::Key_Slash), QKeySequence(Qt::Key_F1)});
    connect(m_shortcutsAction, &QAction::triggered, this, &MainWindow::showShortcuts);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    file->addAction(m_openAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(m_saveAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->setObjectName(QStringLiteral("editMenu"));
    edit->addAction(m_undoAction);
    edit->addAction(m_redoAction);
    edit->addSeparator();
    QMenu *addRecord = edit->addMenu(tr("&Add Caption Record"));
    addRecord->setObjectName(QStringLiteral("addRecordMenu"));
    addRecord->addActions(m_captions->addPrefixButton()->menu()->actions());
    edit->addSeparator();
    edit->addAction(m_settingsAction);

    QMenu *boxes = menuBar()->addMenu(tr("&Boxes"));
    boxes->setObjectName(QStringLiteral("boxesMenu"));
    const QList<QAction *> boxActions = m_boxes->actions();
    for (int i = 0; i < boxActions.size(); ++i) {
        boxes->addAction(boxActions[i]);
        if (i == 0)
            boxes->addSeparator(); // Draw Box, then the edits of the selected box
    }

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    view->addAction(m_curateAction);
    view->addAction(m_trainAction);
    view->addAction(m_compareAction);
    view->addSeparator();
    view->addAction(m_fitAction);
    view->addAction(m_actualSizeAction);
    view->addAction(m_zoomInAction);
    view->addAction(m_zoomOutAction);
    view->addSeparator();
    view->addAction(m_invertAction);
    view->addAction(m_resetWindowAction);
    m_presets->addMenuTo(view);
    view->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    help->addAction(m_shortcutsAction);
    QAction *about = help->addAction(tr("&About %1").arg(kAppName));
    about->setObjectName(QStringLiteral("actionAbout"));
    connect(about, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList folders = RecentFolders().folders();
    for (int i = 0; i < folders.size(); ++i) {
        const QString dir = folders[i];
        QAction *action = m_recentMenu->addAction(
            QStringLiteral("&%1  %2").arg(i + 1).arg(QDir::toNativeSeparators(dir)));
        action->setData(dir);
        connect(action, &QAction::triggered, this, [this, dir] { openFolder(dir); });
    }
    if (folders.isEmpty()) {
        m_recentMenu->addAction(tr("No recent folders"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    connect(m_recentMenu->addAction(tr("Clear List")), &QAction::triggered, this, [] {
        RecentFolders().clear();
    });
}

bool MainWindow::openFolder(const QString &dir)
{
    if (!maybeSaveChanges())
        return false;
    m_recovery->discard(); // saved or deliberately dropped: no recovery offer for them
    startOpen(dir);
    return true;
}

void MainWindow::startOpen(const QString &dir)
{
    const quint64 serial = ++m_openSerial;
    m_opening = true;
    statusBar()->showMessage(tr("Opening %1…").arg(QDir::toNativeSeparators(dir)));
    QThread *guiThread = thread();
    auto *watcher = new QFutureWatcher<OpenJob>(this);
    connect(watcher, &QFutureWatcher<OpenJob>::finished, this, [this, watcher] {
        watcher->deleteLater();
        OpenJob job = watcher->result();
        if (job.serial != m_openSerial)
            return;  // a later open superseded this one
        m_opening = false;
        statusBar()->clearMessage();
        if (!job.document) {
            reportError(tr("Cannot Open Folder"), job.error, QStringLiteral("openErrorDialog"));
            emit datasetOpenFailed(job.error);
            return;
        }
        setDocument(std::move(job.document));
        emit datasetOpened(m_document->rootDir());
        checkSettled();
    });
    watcher->setFuture(QtConcurrent::run([dir, serial, guiThread] {
        OpenJob job;
        job.serial = serial;
        job.dir = dir;
        Result<std::unique_ptr<DatasetDocument>> opened = DatasetDocument::open(dir);
        if (!opened) {
            job.error = errorText(opened.error());
            return job;
        }
        std::unique_ptr<DatasetDocument> document = std::move(opened).value();
        // Born on a pool thread; it lives and is used on the GUI thread.
        QUndoStack *stack = document->undoStack();
        if (stack && !stack->parent())
            stack->moveToThread(guiThread);
        document->moveToThread(guiThread);
        job.document = std::shared_ptr<DatasetDocument>(document.release());
        // Off the GUI thread: the image list (sorted once, then cached by the document) and
        // the recent-folders update (QSettings fsyncs).
        job.document->images();
        RecentFolders().add(job.document->rootDir());
        return job;
    }));
}

void MainWindow::setDocument(std::shared_ptr<DatasetDocument> document)
{
    releaseDocument();
    m_thumbnails->reset();
    m_currentImage.clear();
    ++m_imageSerial;
    m_imageLoading = false;
    m_view->clearImage();
    m_status->setImageInfo(nullptr);

    m_document = std::move(document);
    DatasetDocument *doc = m_document.get();
    QUndoStack *stack = doc->undoStack();
    connect(stack, &QUndoStack::canUndoChanged, this, &MainWindow::updateActions);
    connect(stack, &QUndoStack::canRedoChanged, this, &MainWindow::updateActions);
    connect(stack, &QUndoStack::undoTextChanged, this, &MainWindow::updateActions);
    connect(stack, &QUndoStack::redoTextChanged, this, &MainWindow::updateActions);
    connect(doc, &DatasetDocument::modifiedChanged, this, [this] {
        updateTitle();
        updateActions();
    });
    m_model->setDocument(doc);
    m_boxes->setDocument(doc);
    m_problems->setDocument(doc);
    m_preview->setDocument(doc);
    m_compare->setDocument(doc);
    m_training->setDatasetRoot(doc->rootDir());
    m_captions->setDocument(doc);
    if (m_model->rowCount() == 0)
        m_view->clearImage(tr("%1 has no images yet.").arg(QDir::toNativeSeparators(doc->rootDir())));
    m_list->selectFirst();
    updateTitle();
    updateActions();
    // After every view listens to the document, so a restore shows everywhere; before the
    // autosave watches it, so a new edit cannot overwrite the crashed session's snapshot.
    if (m_interactive)
        offerRecovery(this, doc);
    applyAutosave();
}

void MainWindow::applyModelSettings()
{
    m_runner->setThreads(m_settings.threads);
    // Device and precision follow the settings; a model the user picked in a panel stays.
    const auto withSettings = [this](ModelSpec spec) {
        if (spec.model.trimmed().isEmpty())
            spec.model = m_settings.defaultModelFolder;
        spec.device = m_settings.device;
        spec.precision = m_settings.precision;
        return spec;
    };
    m_preview->setModelSpec(withSettings(m_preview->modelSpec()));
    m_compare->setModelSpec(withSettings(m_compare->modelSpec()));
    const DecodingSettings decoding {m_settings.numBeams, m_settings.maxNewTokens};
    m_preview->setDecoding(decoding);
    m_compare->setDecoding(decoding);
}

void MainWindow::applyAutosave()
{
    const bool on = m_document && m_settings.autosaveSeconds > 0;
    if (on)
        m_recovery->setInterval(m_settings.autosaveSeconds * 1000);
    m_recovery->setDocument(on ? m_document.get() : nullptr);
}

bool MainWindow::selectImage(const QString &image) { return m_list->selectImage(image); }

void MainWindow::showImage(const QString &image)
{
    if (image == m_currentImage)
        return;
    m_captions->setImage(image);
    m_tags->setImage(image.isEmpty() || !m_document ? QString() : m_document->absoluteImagePath(image));
    m_preview->setImage(image);
    m_currentImage = image;
    const quint64 serial = ++m_imageSerial;
    if (image.isEmpty() || !m_document) {
        m_imageLoading = false;
        m_view->clearImage(m_document && m_model->rowCount() > 0 ? tr("No image selected.") : QString());
        m_boxes->setImage(QString(), QSize());
        m_status->setImageInfo(nullptr);
        checkSettled();
        return;
    }
    // The previous image stays up until this one is decoded: no flicker while browsing.
    m_imageLoading = true;
    const QString path = m_document->absoluteImagePath(image);
    auto *watcher = new QFutureWatcher<ImageJob>(this);
    connect(watcher, &QFutureWatcher<ImageJob>::finished, this, [this, watcher] {
        watcher->deleteLater();
        if (watcher->future().resultCount() == 0)
            return;  // cancelled: the user moved on before it started
        const ImageJob job = watcher->result();
        if (job.serial != m_imageSerial)
            return;
        m_imageLoading = false;
        if (!job.decoded) {
            m_view->clearImage(tr("Cannot display %1\n\n%2").arg(job.image, job.error));
            m_boxes->setImage(QString(), QSize());
            m_status->setImageInfo(nullptr);
            emit imageFailed(job.image, job.error);
        } else {
            m_view->setImage(job.decoded, job.image);
            m_boxes->setImage(job.image, QSize(job.decoded->meta.width, job.decoded->meta.height));
            m_status->setImageInfo(&job.decoded->meta);
            m_status->setZoom(m_view->zoom());
            applyComparedOverlay();
            emit imageShown(job.image);
        }
        checkSettled();
    });
    // Browsing with the arrow keys: drop the previous decode if it has not started yet.
    m_pendingDecode.cancel();
    watcher->setFuture(QtConcurrent::run([serial, image, path] {
        ImageJob job;
        job.serial = serial;
        job.image = image;
        Result<imaging::DecodedImage> decoded = imaging::loadImage(path);
        if (decoded)
            job.decoded = std::make_shared<const imaging::DecodedImage>(std::move(decoded).value());
        else
            job.error = errorText(decoded.error());
        return job;
    }));
    m_pendingDecode = QFuture<void>(watcher->future());
}

bool MainWindow::isModified() const
{
    return (m_document && m_document->isModified()) || m_captions->hasPendingEdit();
}

void MainWindow::updateTitle()
{
    if (!m_document) {
        setWindowTitle(kAppName);
        return;
    }
    const QString root = m_document->rootDir();
    setWindowTitle(QStringLiteral("%1%2 — %3 — %4")
                       .arg(QDir(root).dirName(), isModified() ? QStringLiteral("*") : QString(),
                            QDir::toNativeSeparators(root), kAppName));
}

void MainWindow::updateActions()
{
    QUndoStack *stack = m_document ? m_document->undoStack() : nullptr;
    const bool pending = m_captions->hasPendingEdit();
    m_undoAction->setEnabled(pending || (stack && stack->canUndo()));
    m_redoAction->setEnabled(!pending && stack && stack->canRedo());
    m_undoAction->setText(stack && !pending && !stack->undoText().isEmpty()
                              ? tr("&Undo %1").arg(stack->undoText())
                              : tr("&Undo"));
    m_redoAction->setText(stack && !pending && !stack->redoText().isEmpty()
                              ? tr("&Redo %1").arg(stack->redoText())
                              : tr("&Redo"));
    m_saveAction->setEnabled(bool(m_document));
}

void MainWindow::undo()
{
    if (!m_document)
        return;
    m_captions->commitPending();
    m_document->undoStack()->undo();
}

void MainWindow::redo()
{
    if (!m_document)
        return;
    m_captions->commitPending();
    m_document->undoStack()->redo();
}

bool MainWindow::save()
{
    if (!m_document)
        return false;
    m_captions->commitPending();
    const Status status = m_document->save();
    if (status) {
        statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(m_document->rootDir())), 4000);
        updateTitle();
        return true;
    }
    QString message = errorText(status.error());
    if (status.error().code == ErrorCode::Conflict) {
        const QStringList changed = m_document->externallyModifiedFiles();
        message = tr("Nothing was saved: %1 changed on disk since this dataset was opened.\n\n"
                     "Your edits are still here. Copy the folder aside or merge the outside "
                     "change, then reopen the dataset.\n\n%2")
                      .arg(changed.isEmpty() ? tr("a dataset file") : changed.join(QStringLiteral(", ")),
                           message);
    } else {
        message = tr("Nothing was lost: your edits are still open.\n\n%1").arg(message);
    }
    reportError(tr("Save Failed"), message, QStringLiteral("saveErrorDialog"));
    return false;
}

bool MainWindow::maybeSaveChanges()
{
    m_captions->commitPending();
    if (!m_document || !m_document->isModified())
        return true;
    QMessageBox box(QMessageBox::Warning, tr("Unsaved Changes"),
                    tr("Save changes to %1?").arg(QDir(m_document->rootDir()).dirName()),
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("unsavedChangesDialog"));
    box.setInformativeText(tr("Your edits will be lost if you don't save them."));
    box.setDefaultButton(QMessageBox::Save);
    switch (box.exec()) {
    case QMessageBox::Save:
        return save();
    case QMessageBox::Discard:
        return true;
    default:
        return false;
    }
}

void MainWindow::reportError(const QString &title, const QString &message, const QString &dialogName)
{
    emit errorReported(message);
    if (!m_interactive)
        return;
    QMessageBox box(QMessageBox::Critical, title, message, QMessageBox::Ok, this);
    box.setObjectName(dialogName);
    box.exec();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_training->confirmClose() || !maybeSaveChanges()) {
        event->ignore();
        return;
    }
    m_recovery->discard();
    m_tabs->setCurrentIndex(0); // the layout is saved with the docks in place
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    event->accept();
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
}

bool MainWindow::isSettled() const
{
    if (!m_document || m_opening || m_imageLoading)
        return false;
    if (!m_currentImage.isEmpty() && !m_view->hasImage() && m_view->message().isEmpty())
        return false;
    return m_list->visibleThumbnailsDone();
}

void MainWindow::checkSettled()
{
    if (isSettled())
        emit settled();
}

Status MainWindow::saveScreenshot(const QString &path)
{
    const QImage image = grab().toImage();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Io, "cannot write the screenshot: " + file.errorString().toStdString(),
                         path.toStdString());
    QImageWriter writer(&file, "png");
    if (!writer.write(image) || !file.commit())
        return makeError(ErrorCode::Io, "cannot write the screenshot: " + writer.errorString().toStdString(),
                         path.toStdString());
    return {};
}

void MainWindow::onWorkspaceChanged(int index)
{
    if (index == 0) {
        for (QDockWidget *dock : std::as_const(m_dockedAside))
            if (dock)
                dock->show();
        m_dockedAside.clear();
    } else if (m_dockedAside.isEmpty()) {
        for (QDockWidget *dock : findChildren<QDockWidget *>()) {
            if (dock->isVisible()) {
                m_dockedAside << dock;
                dock->hide();
            }
        }
    }
}

void MainWindow::showCuratePanel()
{
    m_tabs->setCurrentWidget(m_view);
    m_view->setFocus();
}

void MainWindow::showTrainingPanel() { m_tabs->setCurrentIndex(1); }

void MainWindow::showComparePanel() { m_tabs->setCurrentIndex(2); }

void MainWindow::showComparedSample(const QString &image, const QString &prefix, const QString &prediction)
{
    // The compare row's <OD> prediction goes over the image once it is decoded.
    m_comparedOverlay = prefix == kOd ? std::optional<std::pair<QString, QString>>({image, prediction}) : std::nullopt;
    showCuratePanel();
    if (image == m_currentImage && m_view->hasImage())
        applyComparedOverlay();
    else
        selectImage(image);
}

void MainWindow::applyComparedOverlay()
{
    if (!m_comparedOverlay || m_comparedOverlay->first != m_currentImage || !m_view->hasImage())
        return;
    const imaging::ImageMetadata &meta = m_view->image()->meta;
    m_view->setPredictedBoxes(CompareView::odBoxes(m_comparedOverlay->second, QSize(meta.width, meta.height)));
    m_comparedOverlay.reset();
}

QString MainWindow::aboutText() const
{
    QString text = tr("<h3>%1 %2</h3><p>Curate chest X-ray datasets and fine-tune Florence-2.</p>")
                       .arg(kAppName, QApplication::applicationVersion());
    text += QStringLiteral("<p>%1</p>")
                .arg(runtimeVersionsText(runtimeVersions()).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    return text;
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About %1").arg(kAppName), aboutText());
}

void MainWindow::showShortcuts()
{
    // The box keys belong to the viewer (they act while it has focus), yet they are shortcuts too.
    ShortcutsDialog dialog(actions() + m_boxes->actions(), this);
    dialog.exec();
}

void MainWindow::showSettings()
{
    SettingsDialog dialog(m_settings, engine::cudaAvailable(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    applySettings(dialog.settings());
}

void MainWindow::applySettings(const WorkbenchSettings &settings)
{
    m_settings = settings;
    m_settings.save();
    engine::configureThreads(m_settings.threads);
    applyAutosave();
    applyModelSettings();
    emit settingsChanged();
}

} // namespace fmw::ui
