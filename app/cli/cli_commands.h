#pragma once
// Entry points of the florence-cli subcommands. `args` starts with the program name and the
// subcommand words ("florence-cli", "dataset", "check", ...) followed by the options.

#include <QStringList>

namespace fmw::cli {

int imageInfo(const QStringList &args);        // image-info FILE [--json]
int render(const QStringList &args);           // render FILE --out PNG [--window C,W] [--invert]
int datasetCheck(const QStringList &args);     // dataset check DIR [--json]
int datasetStats(const QStringList &args);     // dataset stats DIR [--json]
int makeDemoDataset(const QStringList &args);  // make-demo-dataset --out DIR [--count N] [--seed S] [--size PX] [--dicom-fraction F]
int makeDemoModel(const QStringList &args);    // make-demo-model --out DIR [--dataset DIR] [--image-size PX] [--vocab-size N]

// Florence-2 engine (cmd_engine.cpp)
int predict(const QStringList &args);          // predict --model M --image FILE --task T [--text T] [decoding] [--json]
int forward(const QStringList &args);          // forward --model DIR --inputs IN --out OUT
int generate(const QStringList &args);         // generate --model DIR --inputs IN --max-new-tokens N [decoding] --out OUT
int tokenize(const QStringList &args);         // tokenize --tokenizer DIR   (JSONL {"text"} -> {"ids"})
int detokenize(const QStringList &args);       // detokenize --tokenizer DIR (JSONL {"ids"} -> {"text"})
int postprocess(const QStringList &args);      // postprocess --task T --image-size W,H (text on stdin)

// Evaluation (cmd_predict_split.cpp, cmd_evaluate.cpp)
int predictSplit(const QStringList &args);     // predict-split --model M [--adapter DIR] --dataset DIR --split S [--task T] --out P.jsonl
int evaluate(const QStringList &args);         // evaluate --predictions P.jsonl --references R.jsonl [--task T] --out R.json [--html H]

// Training (cmd_train.cpp)
int train(const QStringList &args);            // train --config FILE [--resume DIR] [--set key=value ...]
int exportModel(const QStringList &args);      // export --model M --adapter DIR --out DIR
} // namespace fmw::cli
