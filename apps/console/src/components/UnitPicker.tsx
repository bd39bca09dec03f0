import { Select, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useDivision, useDivisionChildren, useUnits } from '../reference';

/**
 * Picks a division under `root` (a Form control: `value`/`onChange` are the division code): the county
 * (for a prefecture-level root), then optionally a township (for a township-level root, only that
 * township). Both lists are searchable by name; the value is the deepest level chosen.
 */
function DivisionSelects({ root, value, onChange }: { root: string; value?: string | undefined; onChange?: ((division: string) => void) | undefined }) {
  const { t } = useTranslation();
  const area = value?.startsWith(root) ? value : root;
  const top = useDivision(root);
  const counties = useDivisionChildren(root.length <= 4 ? root : undefined);
  const county = area.length >= 6 ? area.slice(0, 6) : undefined;
  const townships = useDivisionChildren(county);
  return (
    <>
      {root.length <= 4 && (
        <Select
          aria-label={t('directory.county')} style={{ width: 170 }} showSearch optionFilterProp="label" value={county ?? root} onChange={(v: string) => onChange?.(v)}
          options={[{ value: root, label: top.data?.name ?? root }, ...(counties.data?.divisions ?? []).map((d) => ({ value: d.code, label: d.name }))]}
        />
      )}
      {county && (
        <Select
          aria-label={t('directory.township')} style={{ width: 170 }} showSearch allowClear={root.length < 9} optionFilterProp="label" placeholder={t('directory.countyUnits')}
          value={area.length >= 9 ? area.slice(0, 9) : undefined} onChange={(v?: string) => onChange?.(v ?? county)}
          options={(townships.data?.divisions ?? []).filter((d) => d.code.startsWith(root.slice(0, 9))).map((d) => ({ value: d.code, label: d.name }))}
        />
      )}
    </>
  );
}

/** {@link DivisionSelects} as one Form control (the create-person form's home division). */
export function DivisionPicker(props: { root: string; value?: string; onChange?: (division: string) => void }) {
  return <Space wrap data-testid="division-picker"><DivisionSelects {...props} /></Space>;
}

/**
 * Picks a unit of the jurisdiction under `root` (a Form control: `value`/`onChange` are the unit id): the
 * county (for a prefecture's directory-admin), optionally a township, then the unit of that division
 * (administration or a department), searchable by name.
 */
export function UnitPicker({ root, value, onChange }: { root: string; value?: string; onChange?: (unitId: string | undefined) => void }) {
  const { t } = useTranslation();
  const [area, setArea] = useState(root);
  const units = useUnits(area);
  return (
    <Space wrap data-testid="unit-picker">
      <DivisionSelects root={root} value={area} onChange={(division) => { setArea(division); onChange?.(undefined); }} />
      <Select
        aria-label={t('directory.unit')} style={{ width: 220 }} showSearch optionFilterProp="label" placeholder={t('directory.unit')} loading={units.isLoading}
        value={value} onChange={(v: string) => onChange?.(v)} options={(units.data?.units ?? []).map((u) => ({ value: u.id, label: u.name }))}
      />
    </Space>
  );
}
