// Florence-2 processor: task prompts (21 goldens), post-processing (71 goldens of upstream
// Python, exact float32), and image preprocessing against the tiny fixture's PIL resize and
// pixel_values.
#include "engine/engine_test.h"

#include "engine/engine_fixtures.h"
#include "engine/text/bpe_tokenizer.h"
#include "engine/text/florence2_post_processor.h"
#include "engine/text/florence2_processor.h"
#include "engine/text/florence2_tasks.h"
#include "engine/text/image_preprocessor.h"
#include "engine/text/pil_resize.h"
#include "engine/text/pixel_values.h"
#include "safetensors_test_reader.h"

#include <cstdio>
#include <fstream>
#include <unistd.h>

using fmw::text::Florence2Answer;
using fmw::text::ImagePreprocessor;
using fmw::text::ImageProcessorConfig;
using fmw::text::ImageU8;
using fmw::text::PostProcessKind;
using nlohmann::json;

namespace {

std::string tokenizerFixture(const std::string &name)
{
    return fmwtest::engineSharedPath("fixtures/florence2-tokenizer/" + name);
}

std::string report(const std::vector<std::string> &failures, size_t total)
{
    std::string s = std::to_string(failures.size()) + " of " + std::to_string(total) + " cases failed";
    for (size_t i = 0; i < failures.size() && i < 5; ++i)
        s += "\n  " + failures[i];
    return s;
}

const std::map<std::string, fmwtest::GoldenTensor> &golden()
{
    static const auto tensors = [] {
        std::string error;
        auto t = fmwtest::readSafetensors(
            fmwtest::engineSharedPath("fixtures/florence2-tiny/golden.safetensors"), &error);
        if (t.empty()) {
            std::fprintf(stderr, "FAIL: %s\n", error.c_str());
            std::abort();
        }
        return t;
    }();
    return tensors;
}

// A uint8 [h, w, 3] golden tensor as an image.
ImageU8 goldenImage(const std::string &name)
{
    const fmwtest::GoldenTensor &t = golden().at(name);
    ImageU8 img(static_cast<int>(t.shape[1]), static_cast<int>(t.shape[0]), static_cast<int>(t.shape[2]));
    img.pixels = t.bytes;
    return img;
}

ImagePreprocessor tinyPreprocessor()
{
    ImageProcessorConfig config;
    config.width = 64;
    config.height = 64;
    return ImagePreprocessor(config);
}

int maxAbsDiff(const ImageU8 &a, const ImageU8 &b)
{
    int d = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i)
        d = std::max(d, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
    return d;
}

// A file in /tmp holding `content`, removed when the test function ends.
struct TempFile {
    std::string path;
    TempFile(const std::string &name, const std::string &content)
        : path("/tmp/fmw_tst_text_" + std::to_string(::getpid()) + "_" + name)
    {
        std::ofstream(path, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path.c_str()); }
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
};

} // namespace

class TestFlorence2Processor : public QObject {
    Q_OBJECT
private slots:
    void promptsMatchGoldens();
    void taskTableCoversAllTasks();
    void postProcessingMatchesUpstream();
    void postProcessingQuirks();
    void resizeMatchesPillowGolden();
    void resizeAndChannelEdgeCases();
    void pixelValuesFromGoldenResized();
    void pixelValuesEndToEnd();
    void preprocessorConfigFromJson();
    void processorFacade();
};

void TestFlorence2Processor::promptsMatchGoldens()
{
    auto tok = fmw::text::BpeTokenizer::fromTokenizerJson(tokenizerFixture("tokenizer.json"));
    QVERIFY(tok.ok());
    const auto rows = fmwtest::readJsonLines(tokenizerFixture("golden_prompts.jsonl"));
    QCOMPARE(rows.size(), size_t(21));
    std::vector<std::string> failures;
    for (const json &row : rows) {
        const std::string input = row["input"].get<std::string>();
        const auto prompt = fmw::text::constructPrompt(input);
        if (row["prompt"].is_null()) {
            // Upstream asserts: a task without input must stand alone.
            if (prompt.ok() || prompt.error().code != fmw::ErrorCode::InvalidArgument)
                failures.push_back(input + ": expected an InvalidArgument error");
            continue;
        }
        if (!prompt.ok()) {
            failures.push_back(input + ": " + prompt.error().message);
            continue;
        }
        if (*prompt != row["prompt"].get<std::string>())
            failures.push_back(input + ": prompt " + json(*prompt).dump());
        else if (tok->encode(*prompt) != row["prompt_ids"].get<std::vector<int>>())
            failures.push_back(input + ": prompt_ids " + json(tok->encode(*prompt)).dump());
    }
    QVERIFY2(failures.empty(), report(failures, rows.size()).c_str());
}

void TestFlorence2Processor::taskTableCoversAllTasks()
{
    const auto &tasks = fmw::text::florence2Tasks();
    QCOMPARE(tasks.size(), size_t(15));
    int withInput = 0;
    for (const auto &t : tasks) {
        withInput += t.takesInput;
        QVERIFY2(t.takesInput == (std::string(t.prompt).find("{input}") != std::string::npos), t.token);
        QVERIFY(fmw::text::postProcessKindForTask(t.token) == t.kind);
    }
    QCOMPARE(withInput, 7);
    QVERIFY(fmw::text::postProcessKindForTask("<NOT_A_TASK>") == PostProcessKind::PureText);
    QVERIFY(fmw::text::postProcessKindForTask("<REGION_PROPOSAL>") == PostProcessKind::Bboxes);
    QVERIFY(std::string(fmw::text::postProcessKindName(PostProcessKind::DescriptionWithBboxesOrPolygons))
        == "description_with_bboxes_or_polygons");
    // Every occurrence of the token is removed from the input.
    QVERIFY(
        *fmw::text::constructPrompt("<REGION_TO_OCR>a<REGION_TO_OCR>b") == "What text is in the region ab?");
}

void TestFlorence2Processor::postProcessingMatchesUpstream()
{
    const auto rows = fmwtest::readJsonLines(tokenizerFixture("golden_postprocess.jsonl"));
    QCOMPARE(rows.size(), size_t(71));
    std::vector<std::string> failures;
    for (const json &row : rows) {
        const fmw::loc::ImageSize size {
            row["image_size"][0].get<double>(), row["image_size"][1].get<double>()};
        const Florence2Answer answer = fmw::text::postProcessGeneration(
            row["text"].get<std::string>(), row["task"].get<std::string>(), size);
        const json got = answer.toJson();
        // JSON numbers compare as doubles: float32 results must equal upstream's bit for bit.
        if (got != row["expected"])
            failures.push_back(row["id"].get<std::string>() + " " + row["task"].get<std::string>() + ": got "
                + got.dump() + " expected " + row["expected"].dump());
    }
    QVERIFY2(failures.empty(), report(failures, rows.size()).c_str());
}

void TestFlorence2Processor::postProcessingQuirks()
{
    const fmw::loc::ImageSize size {1000, 1000};
    using fmw::text::postProcessGeneration;
    // A chunk may begin right after '<' when no label precedes five locs.
    const auto bboxes = postProcessGeneration("<loc_1><loc_2><loc_3><loc_4><loc_5>", "<OD>", size);
    QVERIFY(bboxes.bboxLabels == std::vector<std::string>({"loc_1>"}));
    // Grounding drops blacklisted phrases (case-sensitive) but keeps others.
    const auto grounding
        = postProcessGeneration("</s><s>it<loc_1><loc_2><loc_3><loc_4>It<loc_5><loc_6><loc_7><loc_8></s>",
            "<CAPTION_TO_PHRASE_GROUNDING>", size);
    QVERIFY(grounding.bboxLabels == std::vector<std::string>({"It"}));
    // OCR labels need no line break between them and their eight locs.
    const auto ocr = postProcessGeneration(
        "<s>A\nB<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>", "<OCR_WITH_REGION>", size);
    QVERIFY(ocr.quadLabels == std::vector<std::string>({"B"}));
    QVERIFY(ocr.quadBoxes.size() == 1 && ocr.quadBoxes[0][7] == 8.5f);
    // Polygons: runs end at <sep> or the end; an odd last coordinate is dropped.
    const auto poly = postProcessGeneration(
        "<loc_1><loc_2><loc_3><sep><loc_4><loc_5><loc_6><loc_7>", "<REGION_TO_SEGMENTATION>", size);
    QVERIFY(poly.polygons.size() == 1 && poly.polygons[0].size() == 2);
    QVERIFY(poly.polygons[0][0] == std::vector<float>({1.5f, 2.5f}));
    QVERIFY(poly.polygons[0][1] == std::vector<float>({4.5f, 5.5f, 6.5f, 7.5f}));
    // Pure text keeps <pad> and locs, deletes <s> and </s> only.
    QVERIFY(postProcessGeneration("</s><s>x<pad></s>", "<CAPTION>", size).toJson() == json("x<pad>"));
}

void TestFlorence2Processor::resizeMatchesPillowGolden()
{
    for (int i = 0; i < 2; ++i) {
        const ImageU8 raw = goldenImage("preproc.raw_image_" + std::to_string(i));
        const ImageU8 expected = goldenImage("preproc.resized_" + std::to_string(i));
        const auto resized = tinyPreprocessor().resize(raw);
        QVERIFY(resized.ok());
        QCOMPARE(resized->width, 64);
        QCOMPARE(resized->height, 64);
        const int diff = maxAbsDiff(*resized, expected);
        const std::string msg = "image " + std::to_string(i) + " differs by up to " + std::to_string(diff);
        QVERIFY2(diff == 0, msg.c_str());
    }
}

void TestFlorence2Processor::resizeAndChannelEdgeCases()
{
    // Same size: unchanged. A flat image stays flat at any size (weights sum to one).
    ImageU8 flat(7, 5, 3);
    std::fill(flat.pixels.begin(), flat.pixels.end(), uint8_t(200));
    QVERIFY(fmw::text::resizeBicubicPil(flat, 7, 5).pixels == flat.pixels);
    for (const auto &[w, h] : {std::pair<int, int> {1, 1}, {768, 768}, {3, 40}}) {
        const ImageU8 r = fmw::text::resizeBicubicPil(flat, w, h);
        QVERIFY(r.width == w && r.height == h && r.valid());
        QVERIFY(std::all_of(r.pixels.begin(), r.pixels.end(), [](uint8_t v) { return v == 200; }));
    }
    // Pillow 9.4 on this 4x1 ramp, downscaled to 2x1 and upscaled to 6x1.
    ImageU8 ramp(4, 1, 1);
    ramp.pixels = {0, 100, 200, 255};
    QVERIFY(fmw::text::resizeBicubicPil(ramp, 2, 1).pixels == std::vector<uint8_t>({60, 221}));
    QVERIFY(
        fmw::text::resizeBicubicPil(ramp, 6, 1).pixels == std::vector<uint8_t>({0, 41, 117, 186, 235, 255}));

    // Channels: gray is replicated, RGBA loses alpha, a short buffer is refused.
    ImageU8 gray(2, 1, 1);
    gray.pixels = {10, 250};
    const auto rgb = ImagePreprocessor::toRgb(gray);
    QVERIFY(rgb.ok() && rgb->pixels == std::vector<uint8_t>({10, 10, 10, 250, 250, 250}));
    ImageU8 rgba(1, 1, 4);
    rgba.pixels = {1, 2, 3, 4};
    QVERIFY(ImagePreprocessor::toRgb(rgba)->pixels == std::vector<uint8_t>({1, 2, 3}));
    ImageU8 broken(3, 3, 3);
    broken.pixels.resize(5);
    QVERIFY(!ImagePreprocessor::toRgb(broken).ok());
    // Normalization: rescale in float64, then (x - mean) / std in float32, one CHW plane per channel.
    const ImagePreprocessor pre = tinyPreprocessor();
    const std::vector<float> planes = pre.normalize(*rgb);
    QCOMPARE(planes.size(), size_t(6));
    QVERIFY(planes[0] == (static_cast<float>(10 * (1.0 / 255.0)) - 0.485f) / 0.229f);
    QVERIFY(planes[5] == (static_cast<float>(250 * (1.0 / 255.0)) - 0.406f) / 0.225f);
}

void TestFlorence2Processor::pixelValuesFromGoldenResized()
{
    const ImagePreprocessor pre = tinyPreprocessor();
    const auto pixels = fmw::text::pixelValuesFromResized(
        pre, {goldenImage("preproc.resized_0"), goldenImage("preproc.resized_1")});
    QVERIFY2(pixels.ok(), pixels.ok() ? "" : pixels.error().message.c_str());
    QVERIFY(pixels->sizes() == torch::IntArrayRef({2, 3, 64, 64}));
    QVERIFY(pixels->dtype() == torch::kFloat32);
    const auto expected = golden().at("pixel_values").values<float>();
    const float *got = pixels->data_ptr<float>();
    float maxDiff = 0;
    for (size_t i = 0; i < expected.size(); ++i)
        maxDiff = std::max(maxDiff, std::abs(got[i] - expected[i]));
    const std::string msg = "max |diff| " + std::to_string(maxDiff);
    QVERIFY2(maxDiff <= 1e-6f, msg.c_str());
}

void TestFlorence2Processor::pixelValuesEndToEnd()
{
    const auto pixels = fmw::text::pixelValues(
        tinyPreprocessor(), {goldenImage("preproc.raw_image_0"), goldenImage("preproc.raw_image_1")});
    QVERIFY(pixels.ok());
    const auto expected = golden().at("pixel_values").values<float>();
    const auto ref = torch::from_blob(const_cast<float *>(expected.data()), {2, 3, 64, 64}, torch::kFloat32);
    const double maxDiff = (*pixels - ref).abs().max().item<double>();
    const std::string msg = "max |diff| " + std::to_string(maxDiff);
    QVERIFY2(maxDiff <= 1e-6, msg.c_str());

    // Images of any size and channel count end at the configured size; bad input is refused.
    ImageU8 gray(10, 30, 1);
    const auto mixed = fmw::text::pixelValues(tinyPreprocessor(), {gray, goldenImage("preproc.raw_image_1")});
    QVERIFY(mixed.ok() && mixed->sizes() == torch::IntArrayRef({2, 3, 64, 64}));
    QVERIFY(!fmw::text::pixelValues(tinyPreprocessor(), {}).ok());
    QVERIFY(!fmw::text::pixelValues(tinyPreprocessor(), {ImageU8(4, 4, 2)}).ok());
}

void TestFlorence2Processor::preprocessorConfigFromJson()
{
    auto large = ImageProcessorConfig::fromJsonFile(
        fmwtest::engineSharedPath("fixtures/florence2-large-config/preprocessor_config.json"));
    QVERIFY2(large.ok(), large.ok() ? "" : large.error().toString().c_str());
    QCOMPARE(large->width, 768);
    QCOMPARE(large->height, 768);
    QVERIFY(large->doResize && large->doRescale && large->doNormalize);
    QVERIFY(large->rescaleFactor == 1.0 / 255.0);
    QVERIFY(large->mean == (std::array<double, 3> {0.485, 0.456, 0.406}));
    QVERIFY(large->std == (std::array<double, 3> {0.229, 0.224, 0.225}));

    const auto crop
        = ImageProcessorConfig::fromJsonFile(TempFile("crop.json", R"({"do_center_crop": true})").path);
    QVERIFY(!crop.ok() && crop.error().code == fmw::ErrorCode::Unsupported);
    const auto shortest = ImageProcessorConfig::fromJsonFile(
        TempFile("short.json", R"({"size": {"shortest_edge": 224}})").path);
    QVERIFY(!shortest.ok() && shortest.error().code == fmw::ErrorCode::Unsupported);
    const auto bilinear
        = ImageProcessorConfig::fromJsonFile(TempFile("bilinear.json", R"({"resample": 2})").path);
    QVERIFY(!bilinear.ok());
    const auto missing = ImageProcessorConfig::fromJsonFile("/nonexistent/preprocessor_config.json");
    QVERIFY(!missing.ok() && missing.error().path == "/nonexistent/preprocessor_config.json");
}

void TestFlorence2Processor::processorFacade()
{
    auto processor = fmw::text::Florence2Processor::fromDirectory(
        fmwtest::engineSharedPath("fixtures/florence2-tokenizer"));
    QVERIFY2(processor.ok(), processor.ok() ? "" : processor.error().toString().c_str());
    QCOMPARE(processor->imagePreprocessor().config().width, 768); // no preprocessor_config.json there

    const auto od = processor->promptIds("<OD>");
    QVERIFY(od.ok());
    QVERIFY(*od == std::vector<int>({0, 574, 22486, 5, 8720, 19, 4120, 766, 11, 5, 2274, 4, 2}));
    QVERIFY(!processor->promptIds("<OD> extra").ok());

    const auto batch = processor->promptBatch({"<OD>", "<CAPTION>"});
    QVERIFY(batch.ok() && batch->inputIds.size() == 2);
    QVERIFY(batch->inputIds[0] == *od);
    QVERIFY(batch->inputIds[1] == std::vector<int>({0, 2264, 473, 5, 2274, 6190, 116, 2, 1, 1, 1, 1, 1}));
    QVERIFY(batch->attentionMask[1] == std::vector<int>({1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}));
    QVERIFY(batch->attentionMask[0] == std::vector<int>(13, 1));

    // Generated ids (golden_decode row 2) -> text -> boxes on a 1000 x 1000 image.
    const std::vector<int> generated
        = {2, 0, 282, 1630, 7590, 50270, 50271, 50272, 50273, 27289, 50274, 50275, 50276, 50277, 2, 1, 1};
    QVERIFY(processor->decodeGenerated(generated)
        == "</s><s>nodule<loc_1><loc_2><loc_3><loc_4>mass<loc_5><loc_6><loc_7><loc_8></s><pad><pad>");
    const Florence2Answer answer = processor->postProcess(generated, "<OD>", {1000, 1000});
    QVERIFY(answer.toJson()
        == json::parse(
            R"({"bboxes": [[1.5, 2.5, 3.5, 4.5], [5.5, 6.5, 7.5, 8.5]], "labels": ["nodule", "mass"]})"));
}

FMW_TEST_MAIN(TestFlorence2Processor, promptsMatchGoldens, taskTableCoversAllTasks,
    postProcessingMatchesUpstream, postProcessingQuirks, resizeMatchesPillowGolden, resizeAndChannelEdgeCases,
    pixelValuesFromGoldenResized, pixelValuesEndToEnd, preprocessorConfigFromJson, processorFacade)
#ifdef FMW_HAVE_QTTEST
#include "tst_florence2_processor.moc"
#endif
