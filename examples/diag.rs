use std::sync::Mutex;
use povsim::scenario::Source;
fn main() {
    let mut src = Source::new(None);
    for a in std::env::args().skip(1) { src = src.set(&a).unwrap(); }
    let s = src.load().unwrap();
    let rows = Mutex::new(Vec::new());
    let f = |_r: u32, h: &povsim::population::Household, rec: &povsim::model::YearRecord| {
        rows.lock().unwrap().push((h.id, rec.t, rec.y, rec.farm, rec.wage, rec.assets, rec.industry, rec.dibao, rec.pension, rec.other_transfers, rec.rigid, rec.gross, h.size, rec.poor, h.group));
    };
    povsim::runner::replication(&s, 0, &povsim::runner::Silent, Some(&f));
    let rows = rows.into_inner().unwrap();
    let n = s.params.simulation.households as usize;
    let mut poor_rows: Vec<_> = rows.iter().filter(|r| r.13).collect();
    poor_rows.sort_by(|a,b| a.2.total_cmp(&b.2));
    println!("poor rows {}", poor_rows.len());
    for r in poor_rows.iter().step_by((poor_rows.len()/15).max(1)) {
        println!("id {} t {} y {:.0} farm {:.0} wage {:.0} assets {:.0} ind {:.0} dibao {:.0} pens {:.0} oth {:.0} rigid {:.0} gross {:.0} size {} {:?}", r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.14);
    }
    // per household mean
    let mut sum = vec![0.0; n]; let mut poor = vec![0u32; n];
    for r in &rows { sum[r.0 as usize] += r.2; if r.13 { poor[r.0 as usize] += 1; } }
    let years = s.params.simulation.years as f64;
    let mut hist = [0u32; 11];
    for i in 0..n { if poor[i] > 0 { hist[(poor[i] as usize).min(10)] += 1; } }
    println!("households by poor-years: {:?}", hist);
    let means: Vec<f64> = (0..n).filter(|&i| poor[i]>0).map(|i| sum[i]/years).collect();
    let mut m = means.clone(); m.sort_by(|a,b| a.total_cmp(b));
    println!("mean y of ever-poor: p10 {:.0} p50 {:.0} p90 {:.0}", m[m.len()/10], m[m.len()/2], m[m.len()*9/10]);
}
