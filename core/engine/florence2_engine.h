#pragma once
// One loaded Florence-2 model behind a torch-free interface: what the CLI, the workbench and
// the trainer's preview use to run the model. Loads config and weights from a model folder or
// a cached hub id, places the model on a device in a precision, and runs
//   predict  image + task (+ text) -> generated text and the parsed answer,
//   forward / generate on tensors read from and written to safetensors files (parity tools).
// Not thread-safe: one call at a time (the workbench runs it on one worker thread).

#include "common/result.h"
#include "engine/text/image_u8.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fmw::engine {

enum class Precision { Fp32, Bf16, Fp16 };

// "fp32" | "bf16" | "fp16" (also "float32", "bfloat16", "float16").
Result<Precision> parsePrecision(const std::string &name);
const char *precisionName(Precision precision);

struct EngineOptions {
    std::string device = "cpu"; // "cpu", "cuda", "cuda:1"
    Precision precision = Precision::Fp32; // fp16 needs CUDA (no fp16 matmul on the CPU)
    bool applyPromptMask = false; // the original ignores the prompt's padding mask
    bool needProcessor = true; // tokenizer + image processor (predict); forward/generate do without
    std::string adapterDir; // a LoRA adapter folder (PEFT layout) applied on top, merged
};

// Unset fields take the checkpoint's effective generation settings (Florence-2: 3 beams,
// no_repeat_ngram_size 3, forced BOS 0 / EOS 2, early stopping).
struct DecodingOptions {
    std::optional<int64_t> numBeams;
    std::optional<int64_t> maxNewTokens; // default: 1024, capped by the decoder's positions
    std::optional<int64_t> noRepeatNgramSize;
    std::optional<int64_t> forcedBosTokenId; // -1 = none
    std::optional<int64_t> forcedEosTokenId; // -1 = none
    std::optional<double> lengthPenalty;
    std::optional<bool> earlyStopping;
};

struct ModelInfo {
    std::string folder;
    std::string hubId; // when found in the Hugging Face cache
    std::string weightsFile;
    std::string adapter; // the adapter folder, when one was applied
    std::string configFormat; // "remote-code" | "transformers-native"
    int64_t parameters = 0; // unique
    std::string device;
    Precision precision = Precision::Fp32;
};

struct Prediction {
    std::string task;
    std::string prompt; // the text the task expands to
    std::vector<int64_t> ids; // generated decoder ids (start token first)
    std::string generatedText; // decoded with special tokens, as upstream's examples
    std::string answerJson; // post_process_generation's dict, as JSON ({"<TASK>": ...})
    int64_t imageWidth = 0, imageHeight = 0;
    double encodeMs = 0; // image + prompt through the encoder
    double generateMs = 0;
    std::optional<double> score; // beam search: the length-penalised log-probability
};

// The text evaluation compares with a reference, as `florence-cli predict-split` writes it and
// the compare view scores it: <OD> keeps the dataset's suffix form (labels and <loc_N> tokens,
// special tokens removed); other tasks the post-processed answer.
std::string evaluatedText(const Prediction &prediction);

class Florence2Engine {
public:
    // `modelSpec`: a folder, or a hub id ("microsoft/Florence-2-base") in the HF cache.
    static Result<std::unique_ptr<Florence2Engine>> load(const std::string &modelSpec, const EngineOptions &options);
    ~Florence2Engine();
    Florence2Engine(const Florence2Engine &) = delete;
    Florence2Engine &operator=(const Florence2Engine &) = delete;

    const ModelInfo &info() const;

    // `image`: 8-bit gray, RGB or RGBA; `task` e.g. "<CAPTION>"; `text` the task's input.
    Result<Prediction> predict(
        const text::ImageU8 &image, const std::string &task, const std::string &text, const DecodingOptions &decoding);

    // Reads pixel_values, input_ids, decoder_input_ids (and labels, attention_mask,
    // decoder_attention_mask) and writes the tensors the tiny fixture names: image_features,
    // inputs_embeds, text_embeds, vision.*, encoder_hidden_states.*, encoder_last_hidden_state,
    // decoder_hidden_states.*, logits, loss.
    Status forwardFile(const std::string &inputsPath, const std::string &outPath);
    // Reads pixel_values and input_ids; writes ids (and scores for beam search).
    Status generateFile(const std::string &inputsPath, const std::string &outPath, const DecodingOptions &decoding);

private:
    struct Impl;
    explicit Florence2Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace fmw::engine
