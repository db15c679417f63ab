#pragma once
// A task's evaluation report written out for people and tools: CSV (one row per sample, worst
// first, RFC 4180 quoting), JSON (toJson plus the metric notes) and a self-contained HTML page
// (corpus metrics with their definitions, then every sample with a word-level diff). Also the
// per-sample and corpus metric tables the compare view shows, so the screen and the files agree.

#include "common/result.h"
#include "evaluation/evaluation_report.h"

#include <string>
#include <utility>
#include <vector>

namespace fmw::eval {

// Per-sample metric columns: text tasks BLEU-4, ROUGE-L, CIDEr-D, Finding F1; <OD> Box F1,
// Precision, Recall, Mean IoU.
std::vector<std::string> sampleMetricNames(const TaskReport &report);
// The values of those columns for sample `index` (input order).
std::vector<double> sampleMetrics(const TaskReport &report, int index);

struct CorpusMetric {
    std::string name;
    double value = 0;
    std::string definition; // one sentence: what it measures and how
};
// Corpus-level numbers, exact-match rate first.
std::vector<CorpusMetric> corpusMetrics(const TaskReport &report);

// All references of a sample, one per line.
std::string joinedReferences(const EvaluationSample &sample);

// Quotes a CSV field when it holds a comma, quote, CR or LF or starts/ends with a space;
// quotes inside are doubled.
std::string csvField(const std::string &text);

std::string reportCsv(const TaskReport &report);
std::string reportJson(const TaskReport &report);
std::string reportHtml(const TaskReport &report, const std::string &title);

enum class ReportFormat { Csv, Json, Html };
// By the file's extension (.csv, .json, .html/.htm; case-insensitive); an error otherwise.
Result<ReportFormat> reportFormatForPath(const std::string &path);

// Writes the report atomically (a temporary file renamed over `path`); the Error names the file.
Status writeReport(
    const std::string &path, ReportFormat format, const TaskReport &report, const std::string &title = {});

} // namespace fmw::eval
