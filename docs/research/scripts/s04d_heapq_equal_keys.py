"""Why asyncio call_at(same when) is not FIFO: heapq is not stable and
asyncio.TimerHandle.__lt__ compares only _when (asyncio/events.py)."""
import heapq, asyncio
loop = asyncio.new_event_loop()
hs = [asyncio.TimerHandle(1.0, print, (i,), loop) for i in range(20)]
heap = []
for h in hs: heapq.heappush(heap, h)
print([heapq.heappop(heap)._args[0] for _ in range(20)])
loop.close()
