"""keras.utils.Progbar: the progress bar that fit, evaluate and predict print.

``verbose=1``: a live bar (``\\r`` redraws, at most every ``interval`` seconds) on a
terminal; when stdout is not a terminal only the finished bar is printed.
``verbose=2``: one line when the target is reached. ``verbose=0``: nothing."""
import sys
import time


def _format_value(v):
    return " %.4f" % v if abs(v) > 1e-3 else " %.4e" % v


def _format_time(seconds_per_unit, unit):
    if seconds_per_unit >= 1 or seconds_per_unit == 0:
        return " %.0fs/%s" % (seconds_per_unit, unit)
    if seconds_per_unit >= 1e-3:
        return " %.0fms/%s" % (seconds_per_unit * 1e3, unit)
    return " %.0fus/%s" % (seconds_per_unit * 1e6, unit)


class Progbar:
    """Args:
      target: the total number of steps, or None if unknown.
      width: the bar's width in characters.
      verbose: 0, 1 or 2.
      interval: the minimum seconds between redraws.
      stateful_metrics: names of values shown as given rather than averaged over steps.
      unit_name: ``step`` or ``sample``.
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._stream = stream
        out = self.stream
        self._dynamic = (hasattr(out, "isatty") and out.isatty()) or "ipykernel" in sys.modules
        self._total_width = 0
        self._seen_so_far = 0
        self._values = {}
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def update(self, current, values=None, finalize=None):
        """Sets the current step and the shown values (a list of (name, value) pairs)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or ():
            if k not in self._values_order:
                self._values_order.append(k)
            if k in self.stateful_metrics:
                self._values[k] = [v, 1]
            else:
                n = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * n, n]
                else:
                    self._values[k][0] += v * n
                    self._values[k][1] += n
        self._seen_so_far = current
        now = time.time()
        if self.verbose == 1:
            if not finalize and (now - self._last_update < self.interval or not self._dynamic):
                return
            self._write(self._bar_line(current, now, finalize), finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._line_v2(current, now), True)
        self._last_update = now

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _values_text(self):
        text = ""
        for k in self._values_order:
            total, count = self._values[k]
            text += " - %s:" % k + _format_value(total / max(count, 1))
        return text

    def _bar_line(self, current, now, finalize):
        if self.target is not None:
            digits = len(str(self.target))
            bar = ("%" + str(digits) + "d/%d [") % (current, self.target)
            filled = int(self.width * current / self.target) if self.target else self.width
            if filled > 0:
                bar += "=" * (filled - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - filled) + "]"
        else:
            bar = "%7d/Unknown" % current
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        if finalize:
            info = " - %.0fs" % elapsed + _format_time(per_unit, self.unit_name)
        elif self.target is not None:
            eta = per_unit * (self.target - current)
            if eta > 3600:
                eta_text = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                eta_text = "%d:%02d" % (eta // 60, eta % 60)
            else:
                eta_text = "%ds" % eta
            info = " - ETA: " + eta_text
        else:
            info = _format_time(per_unit, self.unit_name)
        return bar + info + self._values_text()

    def _line_v2(self, current, now):
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        digits = len(str(self.target)) if self.target else 1
        count = ("%" + str(digits) + "d/%d") % (current, self.target) if self.target else "%d" % current
        return (count + " - %.0fs" % elapsed + self._values_text() + " -" + _format_time(elapsed, "epoch")
                + " -" + _format_time(per_unit, self.unit_name))

    def _write(self, line, finalize):
        out = self.stream
        if self._dynamic:
            pad = max(self._total_width - len(line), 0)
            out.write("\r" + line + " " * pad)
            self._total_width = len(line)
        else:
            out.write(line)
        if finalize:
            out.write("\n")
        out.flush()
