// Capacity units: absolute (mAh), per active mass (mAh/g) and per electrode area (mAh/cm²),
// offered only where the test records the mass or the area. The API's values are SI (Ah,
// kg, m²).

export function capacityUnits(test) {
  const units = [{ key: "abs", label: "mAh", scale: 1000 }];
  if (test.active_mass_kg > 0) units.push({ key: "mass", label: "mAh/g", scale: 1000 / (test.active_mass_kg * 1000) });
  if (test.electrode_area_m2 > 0) units.push({ key: "area", label: "mAh/cm²", scale: 1000 / (test.electrode_area_m2 * 1e4) });
  return units;
}

/** A select of the units, calling `onChange(unit)`; hidden when there is only one. */
export function unitPicker(units, onChange) {
  const select = document.createElement("select");
  select.id = "capacity-unit";
  for (const unit of units) select.append(new Option(unit.label, unit.key));
  select.hidden = units.length < 2;
  select.addEventListener("change", () => onChange(units.find(u => u.key === select.value)));
  return select;
}
