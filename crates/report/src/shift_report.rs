//! placeholder
pub struct ShiftReport;
pub struct ShiftReportLine;
pub enum ReportFormat {
    Svg,
    Png,
}
pub fn shift_report() {}
pub fn render_shift_report() {}
