"""The python3-aiohttp contender of ascpp-bench.

Reads a job (JSON) from the file named by argv[1] and prints one JSON line with what it measured:
  {"mode": "upload", "ca", "concurrency", "file"?, "ops": [{method, url, file?, offset, length,
   headers}]}
    sends every operation's byte range of its `file` (or the job's) with its method and headers,
    `concurrency` at a time over one session; fails unless every answer is 200.
  {"mode": "get", "ca", "url", "count", "authorization"}
    sends `count` GETs one after another over one session; fails unless every answer is 200.
The time and CPU reported cover the requests only, not the interpreter's start.
"""
import asyncio
import json
import os
import ssl
import sys
import time

import aiohttp


async def upload(job):
    ctx = ssl.create_default_context(cafile=job["ca"])
    sem = asyncio.Semaphore(job["concurrency"])
    fds = {}
    for op in job["ops"]:
        name = op.get("file", job.get("file"))
        if name not in fds:
            fds[name] = os.open(name, os.O_RDONLY)
    connector = aiohttp.TCPConnector(ssl=ctx, limit=job["concurrency"])
    try:
        async with aiohttp.ClientSession(connector=connector) as session:

            async def put(op):
                async with sem:
                    fd = fds[op.get("file", job.get("file"))]
                    data = os.pread(fd, op["length"], op["offset"])
                    headers = {n: v for n, v in op["headers"]}
                    async with session.request(op["method"], op["url"], data=data,
                                               headers=headers) as r:
                        await r.read()
                        if r.status != 200:
                            raise RuntimeError(f"part at {op['offset']}: HTTP {r.status}")

            await asyncio.gather(*(put(op) for op in job["ops"]))
    finally:
        for fd in fds.values():
            os.close(fd)
    return len(job["ops"])


async def get(job):
    ctx = ssl.create_default_context(cafile=job["ca"])
    headers = {"Authorization": job["authorization"]}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
        for _ in range(job["count"]):
            async with session.get(job["url"], headers=headers) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"GET: HTTP {r.status}")
    return job["count"]


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    run = upload if job["mode"] == "upload" else get
    wall0, cpu0 = time.perf_counter(), time.process_time()
    done = asyncio.run(run(job))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "requests": done}))


if __name__ == "__main__":
    main()
