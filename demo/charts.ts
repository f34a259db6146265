// Live charts. uPlot because it is small (~50 KB, no dependencies) and draws tens of thousands of
// points on a canvas in a few milliseconds, so redrawing on every animation frame while training
// costs the page almost nothing; it also gives two y-axes (loss / perplexity, ms / tokens per s).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 200;
/** Beyond this many points a live chart keeps every other one (old detail matters less). */
const MAX_POINTS = 4000;

export interface LineSpec {
  label: string;
  color: string;
  /** 'y' (left axis) or 'y2' (right axis). */
  scale: 'y' | 'y2';
  dash?: number[];
  /** Sparse values (a validation loss every few steps): points, joined across the gaps. */
  sparse?: boolean;
}

function widthOf(el: HTMLElement): number {
  return Math.max(240, el.clientWidth || el.parentElement?.clientWidth || 400);
}

/** x ticks at whole steps / time indices. */
const WHOLE = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

function makeAxes(yLabel: string, y2Label: string | null): uPlot.Axis[] {
  const grid = { stroke: '#eceef2', width: 1 };
  const axes: uPlot.Axis[] = [{ grid, incrs: WHOLE }, { scale: 'y', label: yLabel, grid, size: 56 }];
  if (y2Label) axes.push({ scale: 'y2', label: y2Label, side: 1, grid: { show: false }, size: 56 });
  return axes;
}

export interface ChartSpec {
  lines: LineSpec[];
  yLabel: string;
  /** The right axis, for lines on scale 'y2' (null: none). */
  y2Label: string | null;
  /** Log scale on the right axis (perplexity spans orders of magnitude). */
  y2Log?: boolean;
}

/** A chart of per-step values against the step number, appended to as training runs. */
export class LiveChart {
  private plot!: uPlot;
  private xs: number[] = [];
  private ys: (number | null)[][] = [];
  private dirty = false;

  constructor(private readonly el: HTMLElement, spec: ChartSpec) {
    this.configure(spec);
    new ResizeObserver(() => this.plot.setSize({ width: widthOf(el), height: HEIGHT })).observe(el);
  }

  /** Rebuilds the chart with other lines or axes (a task switch); the data starts empty. */
  configure(spec: ChartSpec): void {
    this.plot?.destroy();
    this.xs = [];
    this.ys = spec.lines.map(() => []);
    this.plot = new uPlot(
      {
        width: widthOf(this.el),
        height: HEIGHT,
        legend: { live: false },
        cursor: { show: false },
        scales: { x: { time: false }, y: {}, y2: spec.y2Log ? { distr: 3 } : {} },
        axes: makeAxes(spec.yLabel, spec.y2Label),
        series: [
          { label: 'step' },
          ...spec.lines.map((l) => ({ label: l.label, stroke: l.color, scale: l.scale, width: 1.5, dash: l.dash, spanGaps: !!l.sparse, points: { show: !!l.sparse, size: 5 } })),
        ],
      },
      [[], ...spec.lines.map(() => [])],
      this.el,
    );
  }

  /** One point per line; a non-finite value leaves a gap. */
  push(x: number, values: number[]): void {
    this.xs.push(x);
    values.forEach((v, i) => this.ys[i].push(Number.isFinite(v) ? v : null));
    if (this.xs.length > MAX_POINTS) {
      const keep = (_: unknown, i: number): boolean => i % 2 === 0;
      this.xs = this.xs.filter(keep);
      this.ys = this.ys.map((y) => y.filter(keep));
    }
    this.dirty = true;
  }

  /** Drops the points past x (training went back to a snapshot of step x). */
  rewind(x: number): void {
    let n = this.xs.length;
    while (n > 0 && this.xs[n - 1] > x) n--;
    this.xs.length = n;
    for (const y of this.ys) y.length = n;
    this.dirty = true;
  }

  clear(): void {
    this.xs = [];
    this.ys = this.ys.map(() => []);
    this.dirty = true;
  }

  /** Redraws if anything changed since the last call (called once per animation frame). */
  draw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData([this.xs, ...this.ys] as uPlot.AlignedData);
  }
}

/** The forecasting plot: the series, one-step predictions, the free-running forecast, and the split. */
export class ForecastPlot {
  private plot: uPlot;
  private split = 0;

  constructor(el: HTMLElement) {
    this.plot = new uPlot(
      {
        width: widthOf(el),
        height: 260,
        legend: { live: false },
        cursor: { show: false },
        scales: { x: { time: false } },
        axes: makeAxes('value', null),
        series: [
          { label: 't' },
          { label: 'series', stroke: '#9aa3b2', width: 1.5, points: { show: false } },
          { label: 'one-step prediction', stroke: '#2f6fde', width: 1.5, points: { show: false } },
          { label: 'free-running forecast', stroke: '#e8772e', width: 2, points: { show: false } },
        ],
        hooks: {
          draw: [
            (u) => {
              // the dashed line where training data ends and the forecast starts
              const x = Math.round(u.valToPos(this.split, 'x', true));
              const { ctx } = u;
              ctx.save();
              ctx.strokeStyle = '#667085';
              ctx.setLineDash([5, 4]);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      },
      [[], [], [], []],
      el,
    );
    new ResizeObserver(() => this.plot.setSize({ width: widthOf(el), height: 260 })).observe(el);
  }

  show(series: number[], oneStep: number[], split: number, forecast: number[]): void {
    this.split = split;
    const t = series.map((_, i) => i);
    const nullable = (v: number): number | null => (Number.isFinite(v) ? v : null);
    const fc = series.map((_, i) => (i >= split ? nullable(forecast[i - split]) : null));
    this.plot.setData([t, series, oneStep.map(nullable), fc] as uPlot.AlignedData);
  }
}
