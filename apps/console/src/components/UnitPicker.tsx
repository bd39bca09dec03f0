import { Select, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useDivision, useDivisionChildren, useUnits } from '../reference';

/**
 * Picks a unit of the jurisdiction under `root` (a Form control: `value`/`onChange` are the unit id): the
 * county (for a prefecture's directory-admin), optionally a township, then the unit of that division
 * (administration or a department), searchable by name.
 */
export function UnitPicker({ root, value, onChange }: { root: string; value?: string; onChange?: (unitId: string | undefined) => void }) {
  const { t } = useTranslation();
  const [area, setArea] = useState(root);
  const top = useDivision(root);
  const counties = useDivisionChildren(root.length <= 4 ? root : undefined);
  const county = area.length >= 6 ? area.slice(0, 6) : undefined;
  const townships = useDivisionChildren(county);
  const units = useUnits(area);
  const pick = (division: string) => { setArea(division); onChange?.(undefined); };
  return (
    <Space wrap data-testid="unit-picker">
      {root.length <= 4 && (
        <Select
          aria-label={t('directory.county')} style={{ width: 170 }} showSearch optionFilterProp="label" value={county ?? root} onChange={pick}
          options={[{ value: root, label: top.data?.name ?? root }, ...(counties.data?.divisions ?? []).map((d) => ({ value: d.code, label: d.name }))]}
        />
      )}
      {county && (
        <Select
          aria-label={t('directory.township')} style={{ width: 170 }} showSearch allowClear optionFilterProp="label" placeholder={t('directory.countyUnits')}
          value={area.length >= 9 ? area.slice(0, 9) : undefined} onChange={(v?: string) => pick(v ?? county)}
          options={(townships.data?.divisions ?? []).map((d) => ({ value: d.code, label: d.name }))}
        />
      )}
      <Select
        aria-label={t('directory.unit')} style={{ width: 220 }} showSearch optionFilterProp="label" placeholder={t('directory.unit')} loading={units.isLoading}
        value={value} onChange={(v: string) => onChange?.(v)} options={(units.data?.units ?? []).map((u) => ({ value: u.id, label: u.name }))}
      />
    </Space>
  );
}
