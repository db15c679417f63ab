// Engine runtime: LibTorch's thread count follows the machine unless told otherwise.
#include "engine_test.h"

#include "engine/runtime.h"

#include <cstdlib>
#include <thread>

class TestRuntime : public QObject {
    Q_OBJECT
private slots:
    void threadsDefaultToCoreCount();
    void explicitThreadCountWins();
    void versionIsReported();
    void matmulUsesConfiguredThreads();
};

void TestRuntime::threadsDefaultToCoreCount()
{
    unsetenv("FMW_THREADS");
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    QCOMPARE(fmw::engine::configureThreads(), cores);
    QCOMPARE(fmw::engine::threadCount(), cores);
}

void TestRuntime::explicitThreadCountWins()
{
    QCOMPARE(fmw::engine::configureThreads(1), 1);
    setenv("FMW_THREADS", "1", 1);
    QCOMPARE(fmw::engine::configureThreads(), 1);
    unsetenv("FMW_THREADS");
    fmw::engine::configureThreads();
}

void TestRuntime::versionIsReported()
{
    const std::string v = fmw::engine::torchVersion();
    QVERIFY(!v.empty());
    QVERIFY(v[0] >= '1' && v[0] <= '9');
}

void TestRuntime::matmulUsesConfiguredThreads()
{
    // A real op after configuration: the result must be right whatever the thread count.
    fmw::engine::configureThreads();
    torch::manual_seed(0);
    const auto a = torch::randn({64, 32}, torch::kFloat64);
    const auto b = torch::randn({32, 16}, torch::kFloat64);
    const auto c = torch::matmul(a, b);
    QVERIFY(torch::allclose(c, (a.unsqueeze(2) * b.unsqueeze(0)).sum(1)));
}

FMW_TEST_MAIN(TestRuntime, threadsDefaultToCoreCount, explicitThreadCountWins, versionIsReported,
              matmulUsesConfiguredThreads)
#ifdef FMW_HAVE_QTTEST
#include "tst_runtime.moc"
#endif
