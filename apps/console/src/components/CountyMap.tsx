import { LineChart, MapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { Empty } from 'antd';
import { useEffect, useRef } from 'react';
// Liangshan's 17 county boundaries (packages/reference-data/geo: source, licence, conversion in its README). No tiles: offline.
import counties from '../../../../packages/reference-data/geo/liangshan-counties.geo.json';

echarts.use([MapChart, LineChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);
echarts.registerMap('liangshan', counties as unknown as Parameters<typeof echarts.registerMap>[1]);

/** One county's value on the map. */
export interface CountyValue {
  code: string;
  name: string;
  value: number | null;
}

/**
 * The map of Liangshan's 17 counties (ECharts, from the committed GeoJSON), coloured by a figure;
 * clicking a county calls `onSelect` with its code. `format` renders a value for the tooltip.
 */
export function CountyMap({ values, label, format, onSelect }: { values: CountyValue[]; label: string; format: (v: number | null) => string; onSelect: (code: string, name: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (p) => {
      const d = p.data as { code?: string; name?: string } | undefined;
      if (d?.code) select.current(d.code, d.name ?? '');
    });
    const resize = () => c.resize();
    window.addEventListener('resize', resize);
    return () => { window.removeEventListener('resize', resize); c.dispose(); };
  }, []);

  useEffect(() => {
    const numbers = values.map((v) => v.value ?? 0);
    chart.current?.setOption({
      tooltip: { trigger: 'item', formatter: (p: { name: string; value: number }) => `${p.name}<br/>${label}: ${format(Number.isFinite(p.value) ? p.value : null)}` },
      visualMap: { min: 0, max: Math.max(1, ...numbers), left: 'left', bottom: 10, text: [label, ''], calculable: true, inRange: { color: ['#e6f4ff', '#1677ff', '#002c8c'] } },
      series: [{
        type: 'map', map: 'liangshan', roam: false, nameProperty: 'name', selectedMode: false,
        // A white halo keeps county names readable on the darkest fill as on the lightest.
        label: { show: true, fontSize: 11, color: '#1f1f1f', textBorderColor: '#ffffff', textBorderWidth: 2 },
        emphasis: { label: { show: true, color: '#1f1f1f', textBorderColor: '#ffffff', textBorderWidth: 2 } },
        data: values.map((v) => ({ name: v.name, code: v.code, value: v.value ?? 0 })),
      }],
    });
  }, [values, label, format]);

  return (
    <div
      ref={ref} style={{ width: '100%', height: 520 }} data-testid="county-map" role="img" aria-label={label}
      data-nonzero={values.filter((v) => (v.value ?? 0) > 0).map((v) => v.name).join(',')}
    />
  );
}

/**
 * A weekly line chart of rates (0–1) shown as percentages. When no series has a single value (no ticket
 * closed or rated in these weeks) it shows `empty` instead of bare axes.
 */
export function TrendChart({ weeks, series, empty }: { weeks: string[]; series: { name: string; values: (number | null)[] }[]; empty: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const nothing = series.every((s) => s.values.every((v) => v === null));
  useEffect(() => {
    if (!ref.current || nothing) return;
    const c = echarts.init(ref.current);
    c.setOption({
      tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`) },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: weeks },
      yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
      series: series.map((s) => ({ type: 'line', name: s.name, data: s.values, connectNulls: true })),
    });
    const resize = () => c.resize();
    window.addEventListener('resize', resize);
    return () => { window.removeEventListener('resize', resize); c.dispose(); };
  }, [weeks, series, nothing]);
  if (nothing) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty} style={{ height: 280, paddingTop: 80, margin: 0 }} data-testid="trend-empty" />;
  return <div ref={ref} style={{ width: '100%', height: 280 }} data-testid="trend" />;
}
