#pragma once
// Engine tests are Qt Test classes. A FMW_ENGINE_ONLY build (a GPU machine with LibTorch and
// nothing else) has no Qt, so there this header supplies the small Qt Test subset the engine
// tests use, and FMW_TEST_MAIN runs the listed functions. With Qt, FMW_TEST_MAIN is
// QTEST_APPLESS_MAIN plus a check that the list names every test slot, so the two builds
// can never run different sets of tests.
//
// Include this first in an engine test: torch must precede Qt headers (`slots` clash).

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#ifdef FMW_HAVE_QTTEST
#include <QMetaMethod>
#include <QtTest>

namespace fmwtest {
inline int checkListed(const QMetaObject &mo, const char *listed)
{
    std::set<std::string> names;
    std::stringstream ss(listed);
    for (std::string n; std::getline(ss, n, ',');) {
        n.erase(0, n.find_first_not_of(' '));
        names.insert(n);
    }
    int missing = 0;
    for (int i = mo.methodOffset(); i < mo.methodCount(); ++i) {
        const QMetaMethod m = mo.method(i);
        const std::string name = m.name().toStdString();
        if (m.methodType() != QMetaMethod::Slot || m.access() != QMetaMethod::Private)
            continue;
        if (name == "initTestCase" || name == "cleanupTestCase" || name == "init" || name == "cleanup")
            continue;
        if (name.size() > 5 && name.compare(name.size() - 5, 5, "_data") == 0)
            continue;
        if (!names.count(name)) {
            std::fprintf(stderr, "FAIL: test slot %s is missing from FMW_TEST_MAIN's list\n", name.c_str());
            ++missing;
        }
    }
    return missing;
}
} // namespace fmwtest

#define FMW_TEST_MAIN(Class, ...)                                                  \
    int main(int argc, char **argv)                                                \
    {                                                                              \
        if (fmwtest::checkListed(Class::staticMetaObject, #__VA_ARGS__))           \
            return 1;                                                              \
        Class tc;                                                                  \
        QTEST_SET_MAIN_SOURCE_PATH                                                 \
        return QTest::qExec(&tc, argc, argv);                                      \
    }

#else // ---- LibTorch-only shim -------------------------------------------------------

namespace fmwtest {
template <typename T>
struct Access;  // runs a test class's private slots; befriended by Q_OBJECT below
struct Failure {
    std::string message;
};
inline std::string where(const char *file, int line)
{
    return std::string(file) + ":" + std::to_string(line);
}
template <typename A, typename B>
void compare(const A &a, const B &b, const char *as, const char *bs, const char *file, int line)
{
    if (!(a == b)) {
        std::ostringstream os;
        os << "Compared values are not the same: " << as << " vs " << bs << " at " << where(file, line);
        throw Failure{os.str()};
    }
}
} // namespace fmwtest

class QObject {
public:
    virtual ~QObject() = default;
};
#define Q_OBJECT                                                                          \
    template <typename>                                                                   \
    friend struct ::fmwtest::Access;
#define slots
#define QVERIFY(cond)                                                                     \
    do {                                                                                  \
        if (!(cond))                                                                      \
            throw fmwtest::Failure{std::string("'" #cond "' returned FALSE at ") +        \
                                   fmwtest::where(__FILE__, __LINE__)};                   \
    } while (0)
#define QVERIFY2(cond, msg)                                                               \
    do {                                                                                  \
        if (!(cond))                                                                      \
            throw fmwtest::Failure{std::string("'" #cond "' returned FALSE (") + (msg) +  \
                                   ") at " + fmwtest::where(__FILE__, __LINE__)};         \
    } while (0)
#define QCOMPARE(a, b) fmwtest::compare((a), (b), #a, #b, __FILE__, __LINE__)
#define QFAIL(msg) throw fmwtest::Failure{std::string(msg) + " at " + fmwtest::where(__FILE__, __LINE__)}

#define FMW_TEST_RUN_ONE(tc, fn)                                                          \
    do {                                                                                  \
        try {                                                                             \
            (tc).fn();                                                                    \
            std::printf("PASS   : %s\n", #fn);                                            \
            ++passed;                                                                     \
        } catch (const fmwtest::Failure &f) {                                             \
            std::printf("FAIL!  : %s %s\n", #fn, f.message.c_str());                      \
            ++failed;                                                                     \
        } catch (const std::exception &e) {                                               \
            std::printf("FAIL!  : %s threw %s\n", #fn, e.what());                         \
            ++failed;                                                                     \
        }                                                                                 \
    } while (0)

#define FMW_EXPAND(x) x
#define FMW_FE_1(tc, a) FMW_TEST_RUN_ONE(tc, a);
#define FMW_FE_2(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_1(tc, __VA_ARGS__))
#define FMW_FE_3(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_2(tc, __VA_ARGS__))
#define FMW_FE_4(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_3(tc, __VA_ARGS__))
#define FMW_FE_5(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_4(tc, __VA_ARGS__))
#define FMW_FE_6(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_5(tc, __VA_ARGS__))
#define FMW_FE_7(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_6(tc, __VA_ARGS__))
#define FMW_FE_8(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_7(tc, __VA_ARGS__))
#define FMW_FE_9(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_8(tc, __VA_ARGS__))
#define FMW_FE_10(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_9(tc, __VA_ARGS__))
#define FMW_FE_11(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_10(tc, __VA_ARGS__))
#define FMW_FE_12(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_11(tc, __VA_ARGS__))
#define FMW_FE_13(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_12(tc, __VA_ARGS__))
#define FMW_FE_14(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_13(tc, __VA_ARGS__))
#define FMW_FE_15(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_14(tc, __VA_ARGS__))
#define FMW_FE_16(tc, a, ...) FMW_TEST_RUN_ONE(tc, a); FMW_EXPAND(FMW_FE_15(tc, __VA_ARGS__))
// Up to 16 test functions; a longer list picks no macro and fails to compile (never silently).
#define FMW_FE_N(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, N, ...) N
#define FMW_FOR_EACH(tc, ...)                                                             \
    FMW_EXPAND(FMW_FE_N(__VA_ARGS__, FMW_FE_16, FMW_FE_15, FMW_FE_14, FMW_FE_13, FMW_FE_12, \
                        FMW_FE_11, FMW_FE_10, FMW_FE_9, FMW_FE_8, FMW_FE_7, FMW_FE_6,       \
                        FMW_FE_5, FMW_FE_4, FMW_FE_3, FMW_FE_2, FMW_FE_1)(tc, __VA_ARGS__))

#define FMW_TEST_MAIN(Class, ...)                                                         \
    template <>                                                                           \
    struct fmwtest::Access<Class> {                                                       \
        static int run()                                                                  \
        {                                                                                 \
            Class tc;                                                                     \
            int passed = 0, failed = 0;                                                   \
            FMW_FOR_EACH(tc, __VA_ARGS__)                                                 \
            std::printf("Totals: %d passed, %d failed\n", passed, failed);               \
            return failed ? 1 : 0;                                                        \
        }                                                                                 \
    };                                                                                    \
    int main() { return fmwtest::Access<Class>::run(); }

#endif
