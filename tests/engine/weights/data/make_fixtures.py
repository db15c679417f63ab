# Writes the small torch.save files tst_pytorch_bin reads. Run once with Debian's PyTorch
# (/usr/bin/python3 make_fixtures.py, python3-torch 1.13); the outputs are committed so the
# tests never need Python. Values follow simple formulas the test recomputes exactly.
import collections
import zipfile

import torch


def dtypes_dict():
    sd = collections.OrderedDict()
    sd["f32"] = torch.tensor([(i * 37 % 101) / 8 - 6 for i in range(12)], dtype=torch.float32).reshape(3, 4)
    sd["f16"] = torch.tensor([(i * 13 % 29) / 4 - 3 for i in range(6)], dtype=torch.float16).reshape(2, 3)
    sd["bf16"] = torch.tensor([(i * 7 % 17) / 2 - 4 for i in range(5)], dtype=torch.bfloat16)
    sd["f64"] = torch.tensor([0.1 * i - 0.25 for i in range(3)], dtype=torch.float64)
    sd["i64"] = torch.tensor([-(2 ** 40), -1, 0, 7, 2 ** 62], dtype=torch.int64)
    sd["i32"] = torch.tensor([-5, 3, 2 ** 31 - 1], dtype=torch.int32)
    sd["i16"] = torch.tensor([-30000, 30000], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 4)
    return sd


def tied_views_dict():
    base = torch.arange(20, dtype=torch.float32).reshape(4, 5) * 0.5
    sd = collections.OrderedDict()
    sd["shared.weight"] = base
    sd["lm_head.weight"] = base
    sd["embed_tokens.weight"] = base
    sd["transposed"] = base.t()
    sd["row_slice"] = base[2:]
    sd["column"] = base[:, 3]
    sd["param"] = torch.nn.Parameter(torch.tensor([1.5, -2.5]))
    # What nn.Module.state_dict() attaches; pickled as a BUILD on the OrderedDict.
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("layer", {"version": 2})])
    return sd


def main():
    torch.save(dtypes_dict(), "state_dict_dtypes.bin")
    torch.save(tied_views_dict(), "tied_views.bin")
    torch.save(dtypes_dict(), "protocol4.bin", pickle_protocol=4)
    torch.save(dtypes_dict(), "legacy.bin", _use_new_zipfile_serialization=False)
    # The same archive with deflated records: valid zip, but not mappable in place.
    with zipfile.ZipFile("state_dict_dtypes.bin") as src, zipfile.ZipFile(
        "compressed.bin", "w", compression=zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    for name in ["state_dict_dtypes.bin", "tied_views.bin", "protocol4.bin", "compressed.bin"]:
        loaded = torch.load(name)
        assert list(loaded.keys())[0] in ("f32", "shared.weight"), name


if __name__ == "__main__":
    main()
