/// Where a stored alert stands for the people who act on it (`alerts.state`): the detector or the
/// coordinator raises it `firing`; a person says they have seen it (`acknowledged`) and, once
/// dealt with, `resolved`. Warn episodes the core ends and fleet-health conditions that clear
/// resolve themselves; fail alerts wait for a person. One type for the commands people use
/// (CellDetection's `AlertLifecycle`) and for what receivers are told (AlertRouting).
public enum AlertState: String, Sendable, Hashable, CaseIterable, Codable {
    case firing
    /// A person has seen it; for Alertmanager it is still firing (it keeps being re-posted).
    case acknowledged
    case resolved
}
