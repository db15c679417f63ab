#include "engine/training/batch_loader.h"

#include "engine/text/pil_resize.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

namespace fmw::training {

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// splitmix64's output function on state `x` (the generator adds kGolden before it).
uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + kGolden;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t state)
        : m_state(state)
    {
    }
    uint64_t next()
    {
        const uint64_t out = splitmix64(m_state);
        m_state += kGolden;
        return out;
    }
    // Uniform in [0, bound), bound > 0: rejection of the top partial range, then modulo.
    uint64_t below(uint64_t bound)
    {
        const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound; // largest multiple - 1
        for (;;) {
            const uint64_t x = next();
            if (x <= limit)
                return x % bound;
        }
    }

private:
    uint64_t m_state;
};

// One sample's text side, tokenized.
struct Prepared {
    size_t index = 0; // in the source
    std::vector<int> prompt; // <s> prompt </s>
    std::vector<int> target; // <s> suffix </s>, cut to the limit
};

// What a worker made of one sample.
struct Loaded {
    enum class Status { Pending, Ok, Failed, KnownBad };
    Status status = Status::Pending;
    int width = 0;
    int height = 0;
    // The normalized planes, when they could not go straight into the batch's tensor (only
    // without resizing, where sizes may differ); empty otherwise.
    std::vector<float> chw;
    std::string reason;
};

// Pixel buffers for batches, recycled: a fresh 40 MB tensor per batch costs more in first-touch
// page faults than decoding an image, so the batch tensors are views of buffers that come back
// here when the last tensor using one is freed (on whatever thread). Shared with the deleters,
// so it outlives the loader while batches are alive.
class PixelBufferPool {
public:
    PixelBufferPool(size_t floats, size_t keep)
        : m_floats(floats)
        , m_keep(keep)
    {
    }
    ~PixelBufferPool()
    {
        for (float *p : m_free)
            std::free(p);
    }
    PixelBufferPool(const PixelBufferPool &) = delete;
    PixelBufferPool &operator=(const PixelBufferPool &) = delete;

    // A [rows, 3, height, width] float32 tensor (rows * 3 * height * width <= floats).
    static at::Tensor tensor(
        const std::shared_ptr<PixelBufferPool> &pool, int64_t rows, int height, int width)
    {
        float *p = pool->acquire();
        return at::from_blob(
            p, {rows, 3, height, width}, [pool](void *q) { pool->release(static_cast<float *>(q)); },
            at::kFloat);
    }

private:
    float *acquire()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (!m_free.empty()) {
                float *p = m_free.back();
                m_free.pop_back();
                return p;
            }
        }
        const size_t bytes = (m_floats * sizeof(float) + 63) / 64 * 64;
        void *p = std::aligned_alloc(64, bytes);
        if (!p)
            throw std::bad_alloc();
        return static_cast<float *>(p);
    }
    void release(float *p)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_free.size() < m_keep) {
                m_free.push_back(p);
                return;
            }
        }
        std::free(p);
    }

    const size_t m_floats;
    const size_t m_keep;
    std::mutex m_mutex;
    std::vector<float *> m_free;
};

// The batch a worker fills: one per prefetched batch, reused round robin.
struct Slot {
    int64_t batch = -1;
    size_t done = 0;
    std::vector<Loaded> samples;
    at::Tensor pixels; // [batchLength, 3, H, W] when the preprocessor resizes; rows by position
};

// A caught exception as a reason: "unexpected error while <doing>: what()".
std::string describeException(const std::exception_ptr &e, const char *doing = "loading the image")
{
    try {
        std::rethrow_exception(e);
    } catch (const std::bad_alloc &) {
        return std::string("out of memory while ") + doing;
    } catch (const std::exception &ex) {
        return std::string("unexpected error while ") + doing + ": " + ex.what();
    } catch (...) {
        return std::string("unexpected error while ") + doing;
    }
}

} // namespace

std::vector<size_t> epochOrder(uint64_t seed, int64_t epoch, size_t n, bool shuffle)
{
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i)
        order[i] = i;
    if (!shuffle || n < 2)
        return order;
    SplitMix64 rng(splitmix64(seed) ^ splitmix64(static_cast<uint64_t>(epoch) + kGolden));
    for (size_t i = n - 1; i > 0; --i) {
        const size_t j = static_cast<size_t>(rng.below(static_cast<uint64_t>(i) + 1));
        std::swap(order[i], order[j]);
    }
    return order;
}

struct BatchLoader::State {
    const SampleSource &source;
    text::ImagePreprocessor images;
    BatchLoaderOptions options;
    int padId = 1;

    std::vector<Prepared> prepared; // the usable samples, in source order
    std::vector<size_t> usableIndices;
    size_t excluded = 0;
    size_t truncated = 0;
    std::string truncation;

    // Epoch state; written by startEpoch (workers stopped) and the consumer.
    bool started = false;
    int64_t epoch = 0;
    std::vector<size_t> order; // this rank's samples of the epoch, in batch order: positions into `prepared`
    std::vector<size_t> batchStart; // batch b is order[batchStart[b], batchStart[b + 1])
    std::vector<size_t> globalOrder; // data parallel: the whole epoch's order (all ranks)
    int64_t batches = 0;
    size_t endPosition = 0; // positions [0, endPosition) of `order` are used

    // Shared with the workers: everything below under `mutex`.
    mutable std::mutex mutex;
    std::condition_variable workAvailable; // workers wait: window full
    std::condition_variable batchReady; // the consumer waits: its batch incomplete
    bool stop = false;
    int64_t nextBatch = 0; // the batch next() returns next
    size_t dispatched = 0; // next position a worker takes
    std::vector<Slot> slots; // prefetchBatches of them
    std::vector<char> knownBad; // per usable sample: its image failed before
    std::vector<SkippedSample> skipped;
    BatchLoaderCounts counts;
    std::vector<std::thread> workers;
    std::shared_ptr<PixelBufferPool> pool; // null when images are not resized to one size

    State(const SampleSource &s, const text::Florence2Processor &processor, BatchLoaderOptions o)
        : source(s)
        , images(processor.imagePreprocessor())
        , options(std::move(o))
    {
        options.batchSize = std::max<int64_t>(1, options.batchSize);
        options.numWorkers = std::max<int64_t>(0, options.numWorkers);
        options.prefetchBatches = std::max<int64_t>(1, options.prefetchBatches);
        const int pad = processor.tokenizer().padTokenId();
        padId = pad >= 0 ? pad : 1;
        const text::ImageProcessorConfig &c = images.config();
        if (c.doResize && c.width > 0 && c.height > 0) {
            // Enough buffers for the prefetched batches, the one being trained on and the
            // one being assembled; more are allocated (and freed) if the caller keeps batches.
            const size_t floats = batchSize() * 3 * static_cast<size_t>(c.width) * c.height;
            pool
                = std::make_shared<PixelBufferPool>(floats, static_cast<size_t>(options.prefetchBatches) + 2);
        }
    }

    size_t batchSize() const { return static_cast<size_t>(options.batchSize); }
    Slot &slotOf(int64_t batch) { return slots[static_cast<size_t>(batch % options.prefetchBatches)]; }
    size_t batchLength(int64_t batch) const
    {
        return batchStart[static_cast<size_t>(batch) + 1] - batchStart[static_cast<size_t>(batch)];
    }
    int64_t batchOf(size_t position) const
    {
        return static_cast<int64_t>(std::upper_bound(batchStart.begin(), batchStart.end(), position)
                   - batchStart.begin())
            - 1;
    }
    // This rank's share of epoch `epoch`'s order, cut into batches.
    void shard(int64_t epoch);

    void prepareTexts(const text::Florence2Processor &processor);
    // Prepares a slot (or the inline path's batch) for `batch`: its samples, its pixel tensor.
    void initSlot(Slot &slot, int64_t batch);
    // Decodes the sample at `position`; its pixels go to row `row` of `pixels` when defined.
    Loaded load(size_t position, const at::Tensor &pixels, size_t row) const;
    void workerLoop();
    void stopWorkers();
    std::optional<TrainBatch> assemble(int64_t batch, std::vector<Loaded> &loaded, at::Tensor pixels);
};

void BatchLoader::State::prepareTexts(const text::Florence2Processor &processor)
{
    int64_t limit = 0;
    for (int64_t l : {options.maxTargetTokens, options.maxDecoderPositions})
        if (l > 0)
            limit = limit > 0 ? std::min(limit, l) : l;
    if (limit > 0)
        limit = std::max<int64_t>(limit, 2); // room for <s> and </s>
    const int eos = processor.tokenizer().eosTokenId() >= 0 ? processor.tokenizer().eosTokenId() : 2;
    size_t longest = 0;
    std::string firstCut;

    const size_t n = source.size();
    for (size_t i = 0; i < n; ++i) {
        std::string origin;
        try {
            const SampleText &t = source.text(i);
            origin = t.origin;
            if (!options.prefixes.empty()
                && std::find(options.prefixes.begin(), options.prefixes.end(), t.prefix)
                    == options.prefixes.end()) {
                skipped.push_back(
                    {i, origin, "prefix " + t.prefix + " is not among the trained prefixes", -1});
                ++excluded;
                continue;
            }
            auto prompt = processor.promptIds(t.prefix);
            if (!prompt) {
                skipped.push_back(
                    {i, origin, "no prompt for prefix " + t.prefix + ": " + prompt.error().message, -1});
                ++excluded;
                continue;
            }
            Prepared p;
            p.index = i;
            p.prompt = std::move(*prompt);
            p.target = processor.tokenizer().encode(t.suffix);
            if (limit > 0 && p.target.size() > static_cast<size_t>(limit)) {
                if (truncated == 0)
                    firstCut = origin;
                longest = std::max(longest, p.target.size());
                ++truncated;
                p.target.resize(static_cast<size_t>(limit) - 1);
                p.target.push_back(eos);
            }
            prepared.push_back(std::move(p));
            usableIndices.push_back(i);
        } catch (...) {
            skipped.push_back(
                {i, origin, describeException(std::current_exception(), "tokenizing its text"), -1});
            ++excluded;
        }
    }
    if (truncated > 0)
        truncation = std::to_string(truncated) + (truncated == 1 ? " target was" : " targets were")
            + " longer than " + std::to_string(limit) + " tokens and cut to it, </s> kept last (longest "
            + std::to_string(longest) + " tokens; first: " + firstCut + ")";
    knownBad.assign(prepared.size(), 0);
    counts.samples = n;
    counts.usable = prepared.size();
    counts.excluded = excluded;
    counts.truncated = truncated;
}

void BatchLoader::State::initSlot(Slot &slot, int64_t batch)
{
    slot.batch = batch;
    slot.done = 0;
    const size_t length = batchLength(batch);
    slot.samples.assign(length, Loaded());
    slot.pixels = at::Tensor();
    if (pool) {
        const text::ImageProcessorConfig &c = images.config();
        try {
            slot.pixels = PixelBufferPool::tensor(pool, static_cast<int64_t>(length), c.height, c.width);
        } catch (...) {
            // out of memory: the samples keep their own planes, assemble() copies them
        }
    }
}

// Decode, resize and normalize the sample at epoch position `position`. Never throws.
Loaded BatchLoader::State::load(size_t position, const at::Tensor &pixels, size_t row) const
{
    Loaded out;
    const size_t index = prepared[order[position]].index;
    try {
        auto raw = source.load(index);
        if (!raw) {
            out.status = Loaded::Status::Failed;
            out.reason = raw.error().toString();
            return out;
        }
        const text::ImageU8 &image = raw->image;
        const text::ImageProcessorConfig &config = images.config();
        Result<text::ImageU8> rgb = text::ImageU8();
        if (image.valid() && image.channels == 1 && config.doResize) {
            // Gray: resize the one plane, then replicate it. Pillow's resize treats channels
            // independently, so this equals ImagePreprocessor::resize (RGB first) bit for bit
            // at a third of the cost.
            rgb = text::ImagePreprocessor::toRgb(text::resizeBicubicPil(image, config.width, config.height));
        } else {
            rgb = images.resize(image);
        }
        if (!rgb) {
            out.status = Loaded::Status::Failed;
            out.reason = "image not usable: " + rgb.error().message;
            return out;
        }
        out.width = rgb->width;
        out.height = rgb->height;
        std::vector<float> chw = images.normalize(*rgb);
        if (pixels.defined() && pixels.size(2) == out.height && pixels.size(3) == out.width)
            std::memcpy(pixels.data_ptr<float>() + row * chw.size(), chw.data(), chw.size() * sizeof(float));
        else
            out.chw = std::move(chw);
        out.status = Loaded::Status::Ok;
    } catch (...) {
        out = Loaded();
        out.status = Loaded::Status::Failed;
        out.reason = describeException(std::current_exception());
    }
    return out;
}

void BatchLoader::State::workerLoop()
{
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
        workAvailable.wait(lock, [&] {
            return stop || dispatched >= endPosition || batchOf(dispatched) < nextBatch + options.prefetchBatches;
        });
        if (stop || dispatched >= endPosition)
            return;
        const size_t position = dispatched++;
        const int64_t batch = batchOf(position);
        const size_t row = position - batchStart[static_cast<size_t>(batch)];
        Slot &slot = slotOf(batch);
        if (slot.batch != batch)
            initSlot(slot, batch);
        Loaded loaded;
        if (knownBad[order[position]]) {
            loaded.status = Loaded::Status::KnownBad;
        } else {
            const at::Tensor pixels = slot.pixels;
            lock.unlock();
            loaded = load(position, pixels, row); // never throws: failures come back as a status
            lock.lock();
        }
        slot.samples[row] = std::move(loaded);
        if (++slot.done == slot.samples.size() && batch == nextBatch)
            batchReady.notify_all();
    }
}

void BatchLoader::State::stopWorkers()
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        stop = true;
    }
    workAvailable.notify_all();
    batchReady.notify_all();
    for (std::thread &t : workers)
        t.join();
    workers.clear();
    std::lock_guard<std::mutex> lock(mutex);
    stop = false;
}

std::optional<TrainBatch> BatchLoader::State::assemble(
    int64_t batch, std::vector<Loaded> &loaded, at::Tensor pixels)
{
    const size_t begin = batchStart[static_cast<size_t>(batch)];
    std::vector<size_t> rows; // indices into `loaded` that make it into the batch
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (size_t r = 0; r < loaded.size(); ++r) {
            Loaded &l = loaded[r];
            const size_t usable = order[begin + r];
            if (l.status == Loaded::Status::Ok && !pixels.defined() && !rows.empty()) {
                const Loaded &first = loaded[rows.front()];
                if (l.width != first.width || l.height != first.height) {
                    l.status = Loaded::Status::Failed;
                    l.reason = "image is " + std::to_string(l.width) + "x" + std::to_string(l.height)
                        + " after preprocessing, the batch's first is " + std::to_string(first.width) + "x"
                        + std::to_string(first.height);
                }
            }
            if (l.status == Loaded::Status::Ok) {
                rows.push_back(r);
                continue;
            }
            ++counts.skippedThisEpoch;
            ++counts.skippedTotal;
            if (l.status == Loaded::Status::Failed && !knownBad[usable]) {
                knownBad[usable] = 1;
                const Prepared &p = prepared[usable];
                std::string origin;
                try {
                    origin = source.text(p.index).origin;
                } catch (...) {
                }
                skipped.push_back({p.index, std::move(origin), std::move(l.reason), epoch});
            }
        }
        counts.deliveredThisEpoch += static_cast<int64_t>(rows.size());
    }
    TrainBatch out;
    out.batchIndex = batch;
    if (rows.empty())
        return options.keepEmptyBatches ? std::optional<TrainBatch>(std::move(out)) : std::nullopt;

    const auto n = static_cast<int64_t>(rows.size());
    if (pixels.defined()) {
        // The workers wrote each image into its row; close the gaps failed ones left.
        const size_t perImage = static_cast<size_t>(pixels[0].numel());
        float *data = pixels.data_ptr<float>();
        for (size_t b = 0; b < rows.size(); ++b)
            if (rows[b] != b)
                std::memcpy(data + b * perImage, data + rows[b] * perImage, perImage * sizeof(float));
        out.pixelValues = rows.size() == loaded.size() ? std::move(pixels) : pixels.narrow(0, 0, n);
    } else {
        const Loaded &first = loaded[rows.front()];
        out.pixelValues = at::empty({n, 3, first.height, first.width}, at::kFloat);
        float *data = out.pixelValues.data_ptr<float>();
        const size_t perImage = static_cast<size_t>(3) * first.height * first.width;
        for (size_t b = 0; b < rows.size(); ++b)
            std::memcpy(data + b * perImage, loaded[rows[b]].chw.data(), perImage * sizeof(float));
    }
    size_t promptLength = 0;
    size_t targetLength = 0;
    for (size_t b = 0; b < rows.size(); ++b) {
        const Prepared &p = prepared[order[begin + rows[b]]];
        promptLength = std::max(promptLength, p.prompt.size());
        targetLength = std::max(targetLength, p.target.size());
        out.indices.push_back(p.index);
    }
    if (options.worldSize > 1) {
        // Padded to the whole global batch's longest prompt and target, as one process with
        // the whole batch pads: Florence-2 attends to prompt padding (the original builds an
        // all-ones encoder mask), so a shorter pad would change this rank's results.
        const size_t global = batchSize() * static_cast<size_t>(options.worldSize);
        const size_t first = static_cast<size_t>(batch) * global;
        for (size_t k = first; k < std::min(globalOrder.size(), first + global); ++k) {
            promptLength = std::max(promptLength, prepared[globalOrder[k]].prompt.size());
            targetLength = std::max(targetLength, prepared[globalOrder[k]].target.size());
        }
    }
    out.inputIds = at::full({n, static_cast<int64_t>(promptLength)}, padId, at::kLong);
    out.attentionMask = at::zeros({n, static_cast<int64_t>(promptLength)}, at::kLong);
    out.labels = at::full({n, static_cast<int64_t>(targetLength)}, -100, at::kLong);
    int64_t *ids = out.inputIds.data_ptr<int64_t>();
    int64_t *mask = out.attentionMask.data_ptr<int64_t>();
    int64_t *labels = out.labels.data_ptr<int64_t>();
    for (size_t b = 0; b < rows.size(); ++b) {
        const Prepared &p = prepared[order[begin + rows[b]]];
        for (size_t t = 0; t < p.prompt.size(); ++t) {
            ids[b * promptLength + t] = p.prompt[t];
            mask[b * promptLength + t] = 1;
        }
        for (size_t t = 0; t < p.target.size(); ++t)
            labels[b * targetLength + t] = p.target[t];
    }
    return out;
}

BatchLoader::BatchLoader(
    const SampleSource &source, const text::Florence2Processor &processor, BatchLoaderOptions options)
    : d(std::make_unique<State>(source, processor, std::move(options)))
{
    d->prepareTexts(processor);
    d->options.worldSize = std::max<int64_t>(1, d->options.worldSize);
    d->options.rank = std::clamp<int64_t>(d->options.rank, 0, d->options.worldSize - 1);
    const size_t n = d->prepared.size();
    const size_t global = d->batchSize() * static_cast<size_t>(d->options.worldSize);
    d->batches = static_cast<int64_t>(d->options.dropLast ? n / global : (n + global - 1) / global);
    d->shard(0);
}

void BatchLoader::State::shard(int64_t epochIndex)
{
    const std::vector<size_t> all = epochOrder(options.seed, epochIndex, prepared.size(), options.shuffle);
    const size_t world = static_cast<size_t>(options.worldSize);
    const size_t global = batchSize() * world;
    order.clear();
    batchStart.assign(1, 0);
    for (int64_t b = 0; b < batches; ++b) {
        const size_t end = std::min(all.size(), (static_cast<size_t>(b) + 1) * global);
        for (size_t k = static_cast<size_t>(b) * global + static_cast<size_t>(options.rank); k < end; k += world)
            order.push_back(all[k]);
        batchStart.push_back(order.size());
    }
    endPosition = order.size();
    if (world > 1)
        globalOrder = all;
}

BatchLoader::~BatchLoader()
{
    d->stopWorkers();
}

void BatchLoader::startEpoch(int64_t epoch, int64_t firstBatch)
{
    d->stopWorkers();
    d->started = true;
    d->epoch = epoch;
    d->shard(epoch);
    {
        std::lock_guard<std::mutex> lock(d->mutex);
        d->nextBatch = std::clamp<int64_t>(firstBatch, 0, d->batches);
        d->dispatched = d->batchStart[static_cast<size_t>(d->nextBatch)];
        d->slots.assign(static_cast<size_t>(d->options.prefetchBatches), Slot());
        d->counts.skippedThisEpoch = 0;
        d->counts.deliveredThisEpoch = 0;
    }
    if (d->nextBatch >= d->batches)
        return;
    for (int64_t w = 0; w < d->options.numWorkers; ++w) {
        try {
            d->workers.emplace_back([this] { d->workerLoop(); });
        } catch (...) {
            break; // fewer threads (none: next() decodes itself)
        }
    }
}

std::optional<TrainBatch> BatchLoader::next()
{
    if (!d->started)
        return std::nullopt;
    while (d->nextBatch < d->batches) {
        const int64_t batch = d->nextBatch;
        Slot taken;
        if (d->batchLength(batch) == 0) {
            // this rank's share of the global batch is empty: no worker ever fills its slot
            {
                std::lock_guard<std::mutex> lock(d->mutex);
                ++d->nextBatch;
            }
            d->workAvailable.notify_all();
        } else if (d->workers.empty()) {
            // No workers: decode here, straight into the batch.
            const size_t begin = d->batchStart[static_cast<size_t>(batch)];
            std::vector<char> bad;
            {
                std::lock_guard<std::mutex> lock(d->mutex);
                d->initSlot(taken, batch);
                for (size_t r = 0; r < taken.samples.size(); ++r)
                    bad.push_back(d->knownBad[d->order[begin + r]]);
                ++d->nextBatch;
            }
            for (size_t r = 0; r < taken.samples.size(); ++r) {
                if (bad[r])
                    taken.samples[r].status = Loaded::Status::KnownBad;
                else
                    taken.samples[r] = d->load(begin + r, taken.pixels, r);
            }
        } else {
            std::unique_lock<std::mutex> lock(d->mutex);
            Slot &slot = d->slotOf(batch);
            d->batchReady.wait(lock, [&] { return slot.batch == batch && slot.done == slot.samples.size(); });
            taken = std::move(slot);
            slot = Slot();
            ++d->nextBatch;
            lock.unlock();
            d->workAvailable.notify_all(); // the window moved on
        }
        if (auto out = d->assemble(batch, taken.samples, std::move(taken.pixels)))
            return out;
    }
    return std::nullopt;
}

int64_t BatchLoader::batchesPerEpoch() const
{
    return d->batches;
}

std::vector<SkippedSample> BatchLoader::takeSkipped()
{
    std::lock_guard<std::mutex> lock(d->mutex);
    std::vector<SkippedSample> out;
    out.swap(d->skipped);
    return out;
}

BatchLoaderCounts BatchLoader::counts() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    return d->counts;
}

std::string BatchLoader::truncationSummary() const
{
    return d->truncation;
}

const std::vector<size_t> &BatchLoader::usableIndices() const
{
    return d->usableIndices;
}

} // namespace fmw::training
