"""Extracts the TensorFlow C library and the C headers tfjs-node needs from a tensorflow(-cpu) wheel.

Only the two shared libraries and the headers reachable from tfjs-node's own #includes are taken, so a
214 MB wheel becomes ~630 MB of libraries plus ~60 headers instead of 10,000 files.
Usage: extract_tensorflow_wheel.py WHEEL DEST_DEPS_DIR ROOT_HEADER... ; prints one JSON report on stdout.
"""

import json
import os
import re
import shutil
import sys
import zipfile

INCLUDE_PREFIX = "tensorflow/include/"
LIBRARY_PATTERN = re.compile(r"^tensorflow/(libtensorflow_cc|libtensorflow_framework)\.so\.(\d+)$")
INCLUDE_LINE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)
# Newer wheels moved some tensorflow/core/platform headers to TSL; tfjs-node still includes the old path.
RELOCATED_HEADER_PREFIXES = {
    "tensorflow/core/platform/": ["tsl/platform/", "xla/tsl/platform/"],
}


def fail(message):
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def find_libraries(names):
    libraries = {}
    for name in names:
        match = LIBRARY_PATTERN.match(name)
        if match:
            libraries[match.group(1)] = name
    missing = [stem for stem in ("libtensorflow_cc", "libtensorflow_framework") if stem not in libraries]
    if missing:
        fail("the wheel has no " + ", ".join(missing) + " (tensorflow 2.12 or newer ships them)")
    return libraries


def relocated_candidates(header):
    for old_prefix, new_prefixes in RELOCATED_HEADER_PREFIXES.items():
        if header.startswith(old_prefix):
            rest = header[len(old_prefix):]
            for new_prefix in new_prefixes:
                yield new_prefix + rest


def collect_headers(wheel, names, roots):
    """Follows #include lines from the roots through the wheel's include tree (system headers are skipped)."""
    available = {name[len(INCLUDE_PREFIX):] for name in names if name.startswith(INCLUDE_PREFIX) and not name.endswith("/")}
    collected, bridged, missing_roots = {}, {}, []
    pending = []
    for root in roots:
        if root in available:
            pending.append(root)
            continue
        target = next((candidate for candidate in relocated_candidates(root) if candidate in available), None)
        if target is None:
            missing_roots.append(root)
            continue
        bridged[root] = target
        pending.append(target)
    while pending:
        header = pending.pop()
        if header in collected:
            continue
        text = wheel.read(INCLUDE_PREFIX + header)
        collected[header] = text
        for include in INCLUDE_LINE.findall(text.decode("utf-8", "replace")):
            if include in available and include not in collected:
                pending.append(include)
    return collected, bridged, missing_roots


def bridge_header(path, target):
    guard = re.sub(r"[^A-Za-z0-9]", "_", path).upper() + "_BOTTLENECK_BRIDGE_"
    return (
        f"// Written by Bottleneck's setup:native: this wheel keeps the header at {target}.\n"
        f"#ifndef {guard}\n#define {guard}\n#include \"{target}\"\n#endif\n"
    ).encode()


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def main():
    if len(sys.argv) < 4:
        fail("usage: extract_tensorflow_wheel.py WHEEL DEST_DEPS_DIR ROOT_HEADER...")
    wheel_path, dest, roots = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        wheel = zipfile.ZipFile(wheel_path)
    except (OSError, zipfile.BadZipFile) as error:
        fail(f"cannot open the wheel {wheel_path}: {error}")
    with wheel:
        names = wheel.namelist()
        libraries = find_libraries(names)
        headers, bridged, missing_roots = collect_headers(wheel, names, roots)
        if missing_roots:
            fail("the wheel's headers lack " + ", ".join(missing_roots))

        library_dir = os.path.join(dest, "lib")
        os.makedirs(library_dir, exist_ok=True)
        library_files = []
        for stem in ("libtensorflow_cc", "libtensorflow_framework"):
            member = libraries[stem]
            target = os.path.join(library_dir, os.path.basename(member))
            with wheel.open(member) as source, open(target + ".partial", "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            os.replace(target + ".partial", target)
            library_files.append(os.path.basename(member))

        include_dir = os.path.join(dest, "include")
        for header, data in headers.items():
            write_file(os.path.join(include_dir, header), data)
        for header, target in bridged.items():
            write_file(os.path.join(include_dir, header), bridge_header(header, target))

        # The libraries are redistributed inside node_modules and the cache: keep TensorFlow's licence beside them.
        license_member = next((name for name in ("tensorflow/include/LICENSE", "tensorflow/LICENSE") if name in names), None)
        if license_member:
            write_file(os.path.join(dest, "LICENSE-tensorflow"), wheel.read(license_member))

    print(json.dumps({"ok": True, "libraries": library_files, "headers": len(headers), "bridged": bridged}))


if __name__ == "__main__":
    main()
