#!/usr/bin/env python3
"""Where every Swift task of a live process is suspended.

    scripts/swift-tasks.py PID

Reads the process's memory (run as its owner or root; it is not stopped)
and prints, for each group of tasks suspended at the same place, the async
call chain from the await outwards. scripts/test.sh runs it on a test
process that has stopped making progress, before killing it: a hang shows
which await never returned.

How: every live task starts with the Swift runtime's task metadata pointer
(`_swift_concurrency_debug_asyncTaskMetadata`, exported for debuggers), so
the process's writable anonymous memory is scanned for it. In the task
(Swift 6.3, 64-bit) the resume function is at offset 56 and the resume
context at 64; a context starts with its parent context and the parent's
resume function. Addresses are symbolized with the toolchain's
llvm-symbolizer and swift-demangle. A freed task whose memory still holds
the pointer may show up as noise; its chain does not symbolize.
"""
import collections
import os
import re
import shutil
import struct
import subprocess
import sys

RESUME_OFFSET, CONTEXT_OFFSET, MAX_DEPTH = 56, 64, 40


def toolchain_tool(name):
    swift = shutil.which("swift")
    if swift:
        candidate = os.path.join(os.path.dirname(os.path.realpath(swift)), name)
        if os.path.exists(candidate):
            return candidate
    return shutil.which(name) or name


class Process:
    def __init__(self, pid):
        self.mappings = []
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                fields = line.split()
                low, high = (int(x, 16) for x in fields[0].split("-"))
                path = fields[5] if len(fields) > 5 else ""
                self.mappings.append((low, high, fields[1], int(fields[2], 16), path))
        self.memory = open(f"/proc/{pid}/mem", "rb")

    def read(self, address, size):
        try:
            self.memory.seek(address)
            return self.memory.read(size)
        except (OSError, ValueError, OverflowError):
            return None

    def word(self, address):
        data = self.read(address, 8)
        return struct.unpack("<Q", data)[0] if data and len(data) == 8 else None

    def executable(self, address):
        for low, high, perms, _, path in self.mappings:
            if low <= address < high:
                return path if "x" in perms and path.startswith("/") else None
        return None

    def load_base(self, path):
        return min(low - offset for low, _, _, offset, p in self.mappings if p == path)


def task_metadata(process):
    library = next(p for _, _, _, _, p in process.mappings if p.endswith("libswift_Concurrency.so"))
    symbols = subprocess.run([toolchain_tool("llvm-nm"), "-D", library], capture_output=True, text=True).stdout
    offset = int(re.search(r"([0-9a-f]+) [DdBb] _swift_concurrency_debug_asyncTaskMetadata", symbols).group(1), 16)
    return process.word(process.load_base(library) + offset)


def find_tasks(process, metadata):
    needle = struct.pack("<Q", metadata)
    for low, high, perms, _, path in process.mappings:
        if "rw" not in perms or (path and path != "[heap]") or high - low > 1 << 32:
            continue
        data = process.read(low, high - low)
        index = data.find(needle) if data else -1
        while index != -1:
            if index % 8 == 0:
                yield low + index
            index = data.find(needle, index + 8 - index % 8)


def chain(process, task):
    addresses = []
    resume = process.word(task + RESUME_OFFSET)
    if resume and process.executable(resume):
        addresses.append(resume)
    context = process.word(task + CONTEXT_OFFSET)
    while context and len(addresses) < MAX_DEPTH:
        parent, resume_parent = process.word(context), process.word(context + 8)
        if not resume_parent or not process.executable(resume_parent):
            break
        addresses.append(resume_parent)
        context = parent
    return addresses


def symbolize(process, addresses):
    by_object = collections.defaultdict(list)
    for address in set(addresses):
        by_object[process.executable(address)].append(address)
    names = {}
    for path, group in by_object.items():
        base = process.load_base(path)
        stdin = "\n".join(hex(a - base) for a in group) + "\n"
        out = subprocess.run(
            [toolchain_tool("llvm-symbolizer"), f"--obj={path}", "--functions=linkage", "--no-inlines"],
            input=stdin, capture_output=True, text=True).stdout
        blocks = [b.split("\n") for b in out.strip("\n").split("\n\n")]
        mangled = [block[0] for block in blocks]
        demangled = subprocess.run(
            [toolchain_tool("swift-demangle"), "--simplified", "--compact"],
            input="\n".join(mangled) + "\n", capture_output=True, text=True).stdout.split("\n")
        for address, block, name in zip(group, blocks, demangled):
            where = block[1].rsplit("/", 1)[-1] if len(block) > 1 else "?"
            names[address] = f"{name[:160]}  ({where})"
    return names


def main():
    process = Process(int(sys.argv[1]))
    metadata = task_metadata(process)
    chains = [c for c in (chain(process, t) for t in find_tasks(process, metadata)) if c]
    # A chain entirely inside the concurrency runtime (adapters of finished or
    # freed tasks, mostly) says nothing about the program.
    runtime = lambda address: process.executable(address).endswith("libswift_Concurrency.so")
    chains = [c for c in chains if not all(runtime(a) for a in c)]
    names = symbolize(process, [a for c in chains for a in c])
    groups = collections.Counter("\n    ".join(names[a] for a in c) for c in chains)
    print(f"{sum(groups.values())} suspended tasks, {len(groups)} distinct places")
    for text, count in groups.most_common():
        print(f"--- {count} task(s):\n    {text}")


if __name__ == "__main__":
    main()
