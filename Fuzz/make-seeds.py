#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into Corpus/<target>/ (run from anywhere; the seeds are
committed, so this is only needed to make them again). Small on purpose: libFuzzer mutates
them, and a short input is explored faster."""
import gzip, json, os, struct

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def write(target, name, data):
    folder = os.path.join(here, "Corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def trimmed(notebook, budget):
    """The notebook's first lines, up to about `budget` bytes, cut after a closing fence."""
    lines = open(os.path.join(root, notebook), encoding="utf-8").read().split("\n")
    out, size, inside, cut = [], 0, False, 0
    for line in lines:
        out.append(line)
        size += len(line) + 1
        if line.lstrip().startswith("```"):
            inside = not inside
            if not inside:
                cut = len(out)
                if size > budget:
                    break
    return "\n".join(out[:cut]) + "\n"


# The notebook parser: real notebooks, trimmed, and the syntax they do not show.
write("notebook", "mlp-mnist.md", trimmed("notebooks/mlp-mnist.md", 2500))
write("notebook", "perceptron.md", trimmed("notebooks/perceptron.md", 2500))
write("notebook", "custom-layers.md", trimmed("Tests/Notebooks/custom-layers.md", 2000))
write("notebook", "options.md", """---
title: "Options: all of them"
author: A. Author
date: 2026-01-01
params:
  n: 3
  rate: 0.5
  name: "x"
  flag: true
execute:
  echo: false
  timeout: 30
fig-width: 400
---

# Heading with $x^2$

| a | b |
|---|---|
| 1 | ~~2~~ |

- [x] done <sub>sub</sub> <kbd>k</kbd>

```swift
//| label: first-cell
//| eval: true
//| echo: true
//| output: false
//| error: false
//| cache: true
//| cache-extra: fileHash("data.csv")
//| fig-width: 640
//| fig-height: 480
//| timeout: 2.5
let x = n * 2
```

> quote
> ```swift
> print(x)
> ```

1. item

   ~~~swift
   print("tilde")
   ~~~

```{swift}
//| error: true
throw CancellationError()
```

```python
not a cell
```

$$\\sum_i x_i$$ and [a link](https://example.com "t") and <details><summary>s</summary>d</details>
""")
write("notebook", "broken.md", "---\ntitle: x\n\n```swift\nlet a = 1\n````\n\n```swift\n//| label: a b\n//| nope: 1\n```\n")

# The IDX reader: images (magic 0x803) and labels (0x801), raw and gzipped.
images = struct.pack(">IIII", 0x803, 2, 3, 3) + bytes(range(0, 180, 10))
labels = struct.pack(">II", 0x801, 4) + bytes([0, 1, 2, 9])
write("idx", "images-idx3-ubyte", images)
write("idx", "labels-idx1-ubyte", labels)
write("idx", "images-idx3-ubyte.gz", gzip.compress(images, mtime=0))
write("idx", "labels-idx1-ubyte.gz", gzip.compress(labels, mtime=0))


# safetensors: tensors of each dtype, metadata, and a saved model (architecture in the metadata).
def safetensors(tensors, metadata=None):
    header, body = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(payload)]}
        body += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def f32(values):
    return struct.pack("<%df" % len(values), *values)


write("safetensors", "f32.safetensors", safetensors({"w": ("F32", [2, 3], f32([0.5, -1, 2, 0, 1e-3, 7]))}))
write("safetensors", "dtypes.safetensors", safetensors({
    "a": ("F64", [2], struct.pack("<2d", 1.5, -2)),
    "b": ("I32", [1, 2], struct.pack("<2i", -3, 4)),
    "c": ("I64", [1], struct.pack("<q", 5)),
    "d": ("U8", [3], bytes([0, 128, 255])),
    "e": ("F32", [0], b""),
}, {"note": "seed"}))
architecture = {"format": "nbrun.sequential", "version": 1, "inputShape": [4], "layers": [
    {"linear": {"inputs": 4, "outputs": 3, "bias": True}},
    {"activation": {"_0": {"relu": {}}}},
    {"linear": {"inputs": 3, "outputs": 2, "bias": False}},
]}
write("safetensors", "model.safetensors", safetensors({
    "0.weight": ("F32", [4, 3], f32([0.1 * i for i in range(12)])),
    "0.bias": ("F32", [3], f32([0, 0, 0])),
    "2.weight": ("F32", [3, 2], f32([1, -1, 0.5, 0.25, 2, 3])),
}, {"nbrun.architecture": json.dumps(architecture, sort_keys=True)}))

# The cache manifest, as the notebook program writes it: values in files, objects in the graph.
manifest = {
    "version": 3, "key": "3f2a9c", "notebook": "/notebooks/mlp-mnist.md", "cell": 2, "label": "train",
    "stored": "2026-01-01T12:00:00.250Z",
    "bindings": [{"name": "model", "type": "Sequential", "root": {"object": {"_0": 0}}},
                 {"name": "history", "type": "History", "file": "b1.json"}],
    "restores": [{"name": "losses", "type": "Array<Float>", "file": "r0.json"}],
    "files": [{"name": "b1.json", "size": 12, "hash": "ab" * 16}, {"name": "r0.json", "size": 8, "hash": "12" * 16},
              {"name": "graph.json", "size": 40, "hash": "34" * 16}, {"name": "engine.json", "size": 90, "hash": "56" * 16},
              {"name": "w0", "size": 3, "hash": "cd" * 16}],
    "inputs": [{"path": "/data/mnist/train-images-idx3-ubyte.gz", "hash": "ef" * 16}],
    "writes": [{"path": "/notebooks/output/model.safetensors", "file": "w0"}],
    "graph": "graph.json", "engine": "engine.json",
    "outputs": [{"stdout": {"_0": "epoch 1\n"}}],
}
write("cache-manifest", "committed.json", json.dumps(manifest, sort_keys=True))
values = dict(manifest, bindings=[manifest["bindings"][1]], writes=[], outputs=[], graph=None,
              files=[f for f in manifest["files"] if f["name"] not in ("graph.json", "w0")])
del values["label"], values["graph"]
write("cache-manifest", "values-only.json", json.dumps(values, sort_keys=True))
write("cache-manifest", "bad-name.json", json.dumps(dict(manifest, files=[{"name": "../x", "size": 1, "hash": ""}])))

# swiftc's output about a notebook (llvm diagnostic style), against the built-in notebook of the
# harness (nb/fuzz.md) and its generated file.
write("diagnostics", "in-cell.txt", """error: emit-module command failed with exit code 1 (use -v to see invocation)
nb/fuzz.md:10:31: error: binary operator '+' cannot be applied to operands of type 'Int' and 'String'
let a = 1; _nbDisplayLast(a + "s")
                          ^
nb/fuzz.md:10:12: note: overloads for '+' exist with these partially matching parameter lists
""")
write("diagnostics", "generated.txt", """/tmp/cache/build/nb_fuzz.swift:40:1: error: expected declaration
NotebookSession.endCell(0)
^
/tmp/cache/build/nb_fuzz.swift:3:8: error: no such module 'NotebookKernel'
<unknown>:0: error: could not build module
""")
write("diagnostics", "wrapper.txt", """nb/fuzz.md:24:3: warning: will never be executed
  _nbDisplayLast(fatalError("x"))
  ^
nb/fuzz.md:24:18: note: a call to a never-returning function
nb/fuzz.md:23:9: error: cannot find 'value' in scope
nb/fuzz.md:28:12: error: expected ')' in expression list
nb/fuzz.md:11:5: error: invalid redeclaration of 'total'
""")
write("diagnostics", "own-notebook.txt", "```swift\nlet x = 1\nprint(y)\n```\n\0x.md:3:7: error: cannot find 'y' in scope\nprint(y)\n      ^\n")

# A saved model's architecture (PATH.json), as Sequential.save writes it, beside the weights the
# harness writes: the model it loads, and layers of every built-in kind (small enough for the
# weights the file holds).
write("model", "mlp.json", json.dumps(architecture, indent=2, sort_keys=True))
write("model", "layers.json", json.dumps({"format": "nbrun.sequential", "version": 1, "inputShape": [1, 4, 4], "layers": [
    {"conv2D": {"inputChannels": 1, "filters": 2, "kernelSize": 2, "stride": 1, "padding": 0}},
    {"batchNorm": {"features": 2, "momentum": 0.9, "epsilon": 0.001}},
    {"maxPool2D": {"size": 2, "stride": 2, "padding": 0}},
    {"avgPool2D": {"size": 1, "stride": 1, "padding": 0}},
    {"dropout": {"rate": 0.5}},
    {"flatten": {}},
    {"reshape": {"_0": [-1, 2]}},
    {"activation": {"_0": {"leakyRelu": {"alpha": 0.01}}}},
    {"lstm": {"inputs": 2, "hidden": 1, "returnSequences": False}},
    {"sequential": {"layers": [{"activation": {"_0": {"softmax": {}}}}]}},
]}, sort_keys=True))

# The cell cache's differential check: bytes choosing the patterns of a generated notebook
# (CacheFuzzNotebook): [patterns - 1, (pattern, A, B) per pattern, edit, edited pattern, cell, k].
# One seed per pattern, each with another of the six edits, and a few mixes.
for pattern in range(15):
    write("cache-state", "pattern-%02d" % pattern, bytes([0, pattern, 2, 3, pattern % 6, 0, pattern, 1]))
write("cache-state", "mix-observer-training-file", bytes([2, 0, 1, 2, 10, 2, 2, 6, 3, 4, 4, 2, 5, 0]))
write("cache-state", "mix-layer-gradient-drawn", bytes([2, 3, 2, 4, 4, 1, 1, 5, 3, 3, 2, 1, 7, 1]))
write("cache-state", "mix-checkpoint-parameter", bytes([1, 7, 1, 1, 11, 2, 2, 5, 0, 0, 2]))
