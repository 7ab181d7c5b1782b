// Colours for series and groups: distinct, readable on white, repeated past their number.
const colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
export const colour = index => colours[index % colours.length];
export const severityColour = { fail: "#d8342c", warn: "#f0b400", info: "#3b82c4" };
