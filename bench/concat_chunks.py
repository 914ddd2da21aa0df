"""concat_chunks.py SRC_DIR DST_FILE MEGABYTES: one big EVTX file made of the non-empty chunks of
the EVTX files under SRC_DIR (taken in sorted path order, repeated until the size is reached).

Each chunk is self-contained (its records, templates and strings live in it), so the result reads
like one long log; only the chunk numbering in record ids jumps. The file header is the first
file's, with its chunk count and CRC32 updated. A stand-in for a generated big log until the EVTX
writer lands. Cached: does nothing when DST_FILE exists with the asked size.
"""
import os, struct, sys, zlib

src, dst, megabytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
target = megabytes * 1_000_000
if os.path.exists(dst) and abs(os.path.getsize(dst) - target) < 65536 * 2:
    sys.exit(0)
paths = sorted(os.path.join(r, n) for r, _, ns in os.walk(src) for n in ns)
header, chunks = None, []
for p in paths:
    with open(p, 'rb') as f:
        data = f.read()
    if data[:8] != b'ElfFile\0':
        continue
    if header is None:
        header = bytearray(data[:4096])
    for off in range(4096, len(data) - 65535, 65536):
        chunk = data[off:off + 65536]
        if chunk[:8] == b'ElfChnk\0':
            chunks.append(chunk)
if header is None or not chunks:
    sys.exit('no EVTX chunks under ' + src)
count = (target - 4096) // 65536
os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
with open(dst + '.tmp', 'wb') as out:
    # Chunk count (u16 at 42), next record id left as is; header CRC32 over the first 120 bytes.
    struct.pack_into('<H', header, 42, min(count, 0xffff))
    struct.pack_into('<I', header, 124, zlib.crc32(bytes(header[:120])))
    out.write(header)
    for i in range(count):
        out.write(chunks[i % len(chunks)])
os.replace(dst + '.tmp', dst)
