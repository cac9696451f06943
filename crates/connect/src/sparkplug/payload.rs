//! Sparkplug B payloads: size-checked protobuf decoding and a typed view of metric values.
//!
//! [`decode_raw`] turns bytes into the wire structs of [`super::proto`] after checking the
//! payload's shape against [`DecodeLimits`] (a cheap scan that runs before prost allocates
//! anything, so a small payload cannot expand into gigabytes). [`MetricValue::from_wire`]
//! types one metric's value by a datatype, which in NDATA/DDATA usually comes from the birth
//! rather than the message itself. [`decode`] does both for self-describing payloads.

use super::proto::{self, data_set_value, metric, parameter};
use prost::Message;

/// Bounds applied before and while decoding. The defaults take a 5 MB birth comfortably.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_payload_bytes: usize,
    /// Metrics in one payload, counting metrics nested in templates.
    pub max_metrics: usize,
    /// Protobuf fields in one payload, all nesting levels together.
    pub max_elements: usize,
    /// Elements of one array value, and cells of one data set.
    pub max_array_len: usize,
    /// Nesting of templates, data sets and property sets.
    pub max_depth: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_payload_bytes: 16 * 1024 * 1024,
            max_metrics: 100_000,
            max_elements: 1_000_000,
            max_array_len: 1_000_000,
            max_depth: 16,
        }
    }
}

/// Why a payload could not be decoded at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SparkplugError {
    #[error("payload of {bytes} bytes exceeds the {max}-byte limit")]
    Oversized { bytes: usize, max: usize },
    #[error("payload is not a valid Sparkplug B protobuf: {0}")]
    Protobuf(String),
    #[error("payload has more than {max} metrics")]
    TooManyMetrics { max: usize },
    #[error("payload has more than {max} protobuf fields")]
    TooManyElements { max: usize },
    #[error("payload nests templates, data sets or property sets deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("metric {metric}: {error}")]
    Metric { metric: String, error: ValueError },
}

/// Why one metric's value could not be typed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("unknown datatype {0}")]
    UnknownDatatype(u32),
    #[error("no datatype: births must carry one for every metric")]
    MissingDatatype,
    #[error("datatype {0:?} is for property values, not metrics")]
    NotAMetricType(DataType),
    #[error("no value and not marked is_null")]
    MissingValue,
    #[error("datatype {datatype:?} cannot be carried in {found}")]
    TypeMismatch {
        datatype: DataType,
        found: &'static str,
    },
    #[error("value {value} is out of range for {datatype:?}")]
    OutOfRange { datatype: DataType, value: u64 },
    #[error("{datatype:?} of {len} bytes is not a multiple of the {element}-byte element size")]
    ArrayLength {
        datatype: DataType,
        len: usize,
        element: usize,
    },
    #[error("array of {len} elements exceeds the limit of {max}")]
    ArrayTooLong { len: usize, max: usize },
    #[error("BooleanArray: {0}")]
    BooleanArray(String),
    #[error("StringArray: {0}")]
    StringArray(String),
    #[error("DataSet: {0}")]
    DataSet(String),
    #[error("Template: {0}")]
    Template(String),
}

/// Sparkplug 3.0 datatypes with their wire codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[repr(u32)]
pub enum DataType {
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    UInt8 = 5,
    UInt16 = 6,
    UInt32 = 7,
    UInt64 = 8,
    Float = 9,
    Double = 10,
    Boolean = 11,
    String = 12,
    DateTime = 13,
    Text = 14,
    Uuid = 15,
    DataSet = 16,
    Bytes = 17,
    File = 18,
    Template = 19,
    PropertySet = 20,
    PropertySetList = 21,
    Int8Array = 22,
    Int16Array = 23,
    Int32Array = 24,
    Int64Array = 25,
    UInt8Array = 26,
    UInt16Array = 27,
    UInt32Array = 28,
    UInt64Array = 29,
    FloatArray = 30,
    DoubleArray = 31,
    BooleanArray = 32,
    StringArray = 33,
    DateTimeArray = 34,
}

impl DataType {
    pub const ALL: [DataType; 34] = {
        use DataType::*;
        [
            Int8,
            Int16,
            Int32,
            Int64,
            UInt8,
            UInt16,
            UInt32,
            UInt64,
            Float,
            Double,
            Boolean,
            String,
            DateTime,
            Text,
            Uuid,
            DataSet,
            Bytes,
            File,
            Template,
            PropertySet,
            PropertySetList,
            Int8Array,
            Int16Array,
            Int32Array,
            Int64Array,
            UInt8Array,
            UInt16Array,
            UInt32Array,
            UInt64Array,
            FloatArray,
            DoubleArray,
            BooleanArray,
            StringArray,
            DateTimeArray,
        ]
    };

    /// `None` for 0 (Unknown) and codes the specification does not define.
    pub fn from_code(code: u32) -> Option<DataType> {
        Self::ALL.get((code as usize).wrapping_sub(1)).copied()
    }

    pub fn code(self) -> u32 {
        self as u32
    }

    /// Width of one element of a fixed-width array type.
    fn element_size(self) -> Option<usize> {
        use DataType::*;
        Some(match self {
            Int8Array | UInt8Array => 1,
            Int16Array | UInt16Array => 2,
            Int32Array | UInt32Array | FloatArray => 4,
            Int64Array | UInt64Array | DoubleArray | DateTimeArray => 8,
            _ => return None,
        })
    }
}

/// A metric value typed by its Sparkplug datatype.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    /// `is_null` was set: the value is unknown (the datatype stays known from the metric).
    Null,
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    UInt8(u8),
    UInt16(u16),
    UInt32(u32),
    UInt64(u64),
    Float(f32),
    Double(f64),
    Boolean(bool),
    String(String),
    /// Milliseconds since the epoch, UTC.
    DateTime(u64),
    Text(String),
    Uuid(String),
    DataSet(DataSetValue),
    Bytes(Vec<u8>),
    File(Vec<u8>),
    Template(TemplateValue),
    Int8Array(Vec<i8>),
    Int16Array(Vec<i16>),
    Int32Array(Vec<i32>),
    Int64Array(Vec<i64>),
    UInt8Array(Vec<u8>),
    UInt16Array(Vec<u16>),
    UInt32Array(Vec<u32>),
    UInt64Array(Vec<u64>),
    FloatArray(Vec<f32>),
    DoubleArray(Vec<f64>),
    BooleanArray(Vec<bool>),
    StringArray(Vec<String>),
    DateTimeArray(Vec<u64>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSetValue {
    pub columns: Vec<String>,
    pub types: Vec<DataType>,
    /// Cells typed by their column's type; [`MetricValue::Null`] where a cell has no value.
    pub rows: Vec<Vec<MetricValue>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateValue {
    pub version: Option<String>,
    pub template_ref: Option<String>,
    pub is_definition: bool,
    pub parameters: Vec<TemplateParameter>,
    pub metrics: Vec<DecodedMetric>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateParameter {
    pub name: Option<String>,
    pub datatype: DataType,
    pub value: MetricValue,
}

/// One metric with its value typed.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedMetric {
    pub name: Option<String>,
    pub alias: Option<u64>,
    pub timestamp: Option<u64>,
    pub datatype: DataType,
    pub is_historical: bool,
    pub is_transient: bool,
    pub value: MetricValue,
    pub metadata: Option<proto::MetaData>,
    pub properties: Option<proto::PropertySet>,
}

impl DecodedMetric {
    /// A current, named metric (the common case in births and tests).
    pub fn new(name: impl Into<String>, value: MetricValue) -> Self {
        let datatype = value.datatype().unwrap_or(DataType::Int32);
        Self {
            name: Some(name.into()),
            alias: None,
            timestamp: None,
            datatype,
            is_historical: false,
            is_transient: false,
            value,
            metadata: None,
            properties: None,
        }
    }

    pub fn with_alias(mut self, alias: u64) -> Self {
        self.alias = Some(alias);
        self
    }

    /// How errors name the metric: its name, else its alias.
    pub fn label(&self) -> String {
        label(self.name.as_deref(), self.alias, None)
    }
}

/// A whole payload with every metric typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedPayload {
    pub timestamp: Option<u64>,
    pub seq: Option<u64>,
    pub uuid: Option<String>,
    pub body: Option<Vec<u8>>,
    pub metrics: Vec<DecodedMetric>,
}

/// How errors name a metric: `"Line/State"`, `alias 7`, or its position.
pub fn label(name: Option<&str>, alias: Option<u64>, index: Option<usize>) -> String {
    match (name, alias, index) {
        (Some(n), _, _) => format!("`{n}`"),
        (None, Some(a), _) => format!("alias {a}"),
        (None, None, Some(i)) => format!("#{i}"),
        (None, None, None) => "(unnamed)".to_owned(),
    }
}

/// The value as it sits in one of the schema's oneofs, borrowed.
#[derive(Clone, Copy)]
enum Wire<'a> {
    Int(u32),
    Long(u64),
    Float(f32),
    Double(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    DataSet(&'a proto::DataSet),
    Template(&'a proto::Template),
    Extension,
}

impl Wire<'_> {
    fn field(&self) -> &'static str {
        match self {
            Wire::Int(_) => "int_value",
            Wire::Long(_) => "long_value",
            Wire::Float(_) => "float_value",
            Wire::Double(_) => "double_value",
            Wire::Bool(_) => "boolean_value",
            Wire::Str(_) => "string_value",
            Wire::Bytes(_) => "bytes_value",
            Wire::DataSet(_) => "dataset_value",
            Wire::Template(_) => "template_value",
            Wire::Extension => "extension_value",
        }
    }
}

impl<'a> From<&'a metric::Value> for Wire<'a> {
    fn from(v: &'a metric::Value) -> Self {
        match v {
            metric::Value::IntValue(v) => Wire::Int(*v),
            metric::Value::LongValue(v) => Wire::Long(*v),
            metric::Value::FloatValue(v) => Wire::Float(*v),
            metric::Value::DoubleValue(v) => Wire::Double(*v),
            metric::Value::BooleanValue(v) => Wire::Bool(*v),
            metric::Value::StringValue(v) => Wire::Str(v),
            metric::Value::BytesValue(v) => Wire::Bytes(v),
            metric::Value::DatasetValue(v) => Wire::DataSet(v),
            metric::Value::TemplateValue(v) => Wire::Template(v),
            metric::Value::ExtensionValue(_) => Wire::Extension,
        }
    }
}

impl<'a> From<&'a data_set_value::Value> for Wire<'a> {
    fn from(v: &'a data_set_value::Value) -> Self {
        match v {
            data_set_value::Value::IntValue(v) => Wire::Int(*v),
            data_set_value::Value::LongValue(v) => Wire::Long(*v),
            data_set_value::Value::FloatValue(v) => Wire::Float(*v),
            data_set_value::Value::DoubleValue(v) => Wire::Double(*v),
            data_set_value::Value::BooleanValue(v) => Wire::Bool(*v),
            data_set_value::Value::StringValue(v) => Wire::Str(v),
            data_set_value::Value::ExtensionValue(_) => Wire::Extension,
        }
    }
}

impl<'a> From<&'a parameter::Value> for Wire<'a> {
    fn from(v: &'a parameter::Value) -> Self {
        match v {
            parameter::Value::IntValue(v) => Wire::Int(*v),
            parameter::Value::LongValue(v) => Wire::Long(*v),
            parameter::Value::FloatValue(v) => Wire::Float(*v),
            parameter::Value::DoubleValue(v) => Wire::Double(*v),
            parameter::Value::BooleanValue(v) => Wire::Bool(*v),
            parameter::Value::StringValue(v) => Wire::Str(v),
            parameter::Value::ExtensionValue(_) => Wire::Extension,
        }
    }
}

/// A signed integer of `bits` width from int_value/long_value. Publishers disagree on
/// negative numbers narrower than the field: some write the N-bit two's complement (Int8 -1 as
/// 255), others sign-extend to the field (0xFFFF_FFFF); both are accepted.
fn signed(datatype: DataType, wire: Wire, bits: u32) -> Result<i64, ValueError> {
    let (raw, extended) = match wire {
        Wire::Int(v) => (u64::from(v), i64::from(v as i32)),
        Wire::Long(v) => (v, v as i64),
        other => return Err(mismatch(datatype, other)),
    };
    if bits == 64 {
        return Ok(raw as i64);
    }
    if raw < 1 << bits {
        let half = 1u64 << (bits - 1);
        return Ok(if raw >= half {
            raw as i64 - (1i64 << bits)
        } else {
            raw as i64
        });
    }
    let min = -(1i64 << (bits - 1));
    if (min..-min).contains(&extended) {
        Ok(extended)
    } else {
        Err(ValueError::OutOfRange {
            datatype,
            value: raw,
        })
    }
}

fn unsigned(datatype: DataType, wire: Wire, max: u64) -> Result<u64, ValueError> {
    let raw = match wire {
        Wire::Int(v) => u64::from(v),
        Wire::Long(v) => v,
        other => return Err(mismatch(datatype, other)),
    };
    if raw > max {
        return Err(ValueError::OutOfRange {
            datatype,
            value: raw,
        });
    }
    Ok(raw)
}

fn mismatch(datatype: DataType, wire: Wire) -> ValueError {
    ValueError::TypeMismatch {
        datatype,
        found: wire.field(),
    }
}

/// Types one wire value. `depth` counts nesting for templates.
fn typed(
    datatype: DataType,
    wire: Wire,
    limits: &DecodeLimits,
    depth: usize,
) -> Result<MetricValue, ValueError> {
    use DataType as D;
    use MetricValue as V;
    Ok(match (datatype, wire) {
        (D::Int8, w) => V::Int8(signed(datatype, w, 8)? as i8),
        (D::Int16, w) => V::Int16(signed(datatype, w, 16)? as i16),
        (D::Int32, w) => V::Int32(signed(datatype, w, 32)? as i32),
        (D::Int64, w) => V::Int64(signed(datatype, w, 64)?),
        (D::UInt8, w) => V::UInt8(unsigned(datatype, w, u8::MAX.into())? as u8),
        (D::UInt16, w) => V::UInt16(unsigned(datatype, w, u16::MAX.into())? as u16),
        (D::UInt32, w) => V::UInt32(unsigned(datatype, w, u32::MAX.into())? as u32),
        (D::UInt64, w) => V::UInt64(unsigned(datatype, w, u64::MAX)?),
        (D::DateTime, w) => V::DateTime(unsigned(datatype, w, u64::MAX)?),
        (D::Float, Wire::Float(v)) => V::Float(v),
        (D::Double, Wire::Double(v)) => V::Double(v),
        // Widening is lossless; some publishers send every real number as a float.
        (D::Double, Wire::Float(v)) => V::Double(f64::from(v)),
        (D::Boolean, Wire::Bool(v)) => V::Boolean(v),
        (D::String, Wire::Str(s)) => V::String(s.to_owned()),
        (D::Text, Wire::Str(s)) => V::Text(s.to_owned()),
        (D::Uuid, Wire::Str(s)) => V::Uuid(s.to_owned()),
        (D::Bytes, Wire::Bytes(b)) => V::Bytes(b.to_vec()),
        (D::File, Wire::Bytes(b)) => V::File(b.to_vec()),
        (D::DataSet, Wire::DataSet(ds)) => V::DataSet(data_set(ds, limits)?),
        (D::Template, Wire::Template(t)) => V::Template(template(t, limits, depth + 1)?),
        (D::PropertySet | D::PropertySetList, _) => {
            return Err(ValueError::NotAMetricType(datatype));
        }
        (D::BooleanArray, Wire::Bytes(b)) => V::BooleanArray(boolean_array(b, limits)?),
        (D::StringArray, Wire::Bytes(b)) => V::StringArray(string_array(b, limits)?),
        (d, Wire::Bytes(b)) if d.element_size().is_some() => packed(d, b, limits)?,
        (_, w) => return Err(mismatch(datatype, w)),
    })
}

/// Splits little-endian fixed-width elements, checking the length first.
fn chunks<'a, const N: usize>(
    datatype: DataType,
    bytes: &'a [u8],
    limits: &DecodeLimits,
) -> Result<impl Iterator<Item = [u8; N]> + 'a, ValueError> {
    if !bytes.len().is_multiple_of(N) {
        return Err(ValueError::ArrayLength {
            datatype,
            len: bytes.len(),
            element: N,
        });
    }
    let len = bytes.len() / N;
    if len > limits.max_array_len {
        return Err(ValueError::ArrayTooLong {
            len,
            max: limits.max_array_len,
        });
    }
    // chunks_exact yields exactly N bytes, so the conversion cannot fail.
    Ok(bytes
        .chunks_exact(N)
        .map(|c| c.try_into().unwrap_or([0; N])))
}

fn packed(
    datatype: DataType,
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<MetricValue, ValueError> {
    use DataType as D;
    use MetricValue as V;
    let d = datatype;
    Ok(match datatype {
        D::Int8Array => V::Int8Array(
            chunks::<1>(d, bytes, limits)?
                .map(i8::from_le_bytes)
                .collect(),
        ),
        D::UInt8Array => V::UInt8Array(
            chunks::<1>(d, bytes, limits)?
                .map(u8::from_le_bytes)
                .collect(),
        ),
        D::Int16Array => V::Int16Array(chunks(d, bytes, limits)?.map(i16::from_le_bytes).collect()),
        D::UInt16Array => {
            V::UInt16Array(chunks(d, bytes, limits)?.map(u16::from_le_bytes).collect())
        }
        D::Int32Array => V::Int32Array(chunks(d, bytes, limits)?.map(i32::from_le_bytes).collect()),
        D::UInt32Array => {
            V::UInt32Array(chunks(d, bytes, limits)?.map(u32::from_le_bytes).collect())
        }
        D::FloatArray => V::FloatArray(chunks(d, bytes, limits)?.map(f32::from_le_bytes).collect()),
        D::Int64Array => V::Int64Array(chunks(d, bytes, limits)?.map(i64::from_le_bytes).collect()),
        D::UInt64Array => {
            V::UInt64Array(chunks(d, bytes, limits)?.map(u64::from_le_bytes).collect())
        }
        D::DoubleArray => {
            V::DoubleArray(chunks(d, bytes, limits)?.map(f64::from_le_bytes).collect())
        }
        D::DateTimeArray => {
            V::DateTimeArray(chunks(d, bytes, limits)?.map(u64::from_le_bytes).collect())
        }
        _ => return Err(mismatch(datatype, Wire::Bytes(bytes))),
    })
}

/// 3.0: a little-endian u32 count, then the values as bits, most significant bit first.
fn boolean_array(bytes: &[u8], limits: &DecodeLimits) -> Result<Vec<bool>, ValueError> {
    let Some((count, bits)) = bytes.split_first_chunk::<4>() else {
        return Err(ValueError::BooleanArray(format!(
            "{} bytes is shorter than the 4-byte count",
            bytes.len()
        )));
    };
    let count = u32::from_le_bytes(*count) as usize;
    if count > limits.max_array_len {
        return Err(ValueError::ArrayTooLong {
            len: count,
            max: limits.max_array_len,
        });
    }
    if bits.len() != count.div_ceil(8) {
        return Err(ValueError::BooleanArray(format!(
            "count {count} needs {} bytes of bits, got {}",
            count.div_ceil(8),
            bits.len()
        )));
    }
    Ok((0..count)
        .map(|i| bits[i / 8] & (0x80 >> (i % 8)) != 0)
        .collect())
}

/// 3.0: UTF-8 strings, each terminated by NUL.
fn string_array(bytes: &[u8], limits: &DecodeLimits) -> Result<Vec<String>, ValueError> {
    let Some(body) = bytes.strip_suffix(&[0]) else {
        return if bytes.is_empty() {
            Ok(Vec::new())
        } else {
            Err(ValueError::StringArray(
                "the last string is not NUL-terminated".into(),
            ))
        };
    };
    let mut out = Vec::new();
    for (i, part) in body.split(|&b| b == 0).enumerate() {
        if out.len() >= limits.max_array_len {
            return Err(ValueError::ArrayTooLong {
                len: out.len() + 1,
                max: limits.max_array_len,
            });
        }
        let s = std::str::from_utf8(part)
            .map_err(|_| ValueError::StringArray(format!("element {i} is not UTF-8")))?;
        out.push(s.to_owned());
    }
    Ok(out)
}

fn data_set(ds: &proto::DataSet, limits: &DecodeLimits) -> Result<DataSetValue, ValueError> {
    let err = |m: String| ValueError::DataSet(m);
    let n = ds.columns.len();
    if let Some(declared) = ds.num_of_columns
        && declared != n as u64
    {
        return Err(err(format!(
            "num_of_columns is {declared} but {n} column names are given"
        )));
    }
    if ds.types.len() != n {
        return Err(err(format!("{} types for {n} columns", ds.types.len())));
    }
    let cells = ds.rows.len().saturating_mul(n.max(1));
    if cells > limits.max_array_len {
        return Err(ValueError::ArrayTooLong {
            len: cells,
            max: limits.max_array_len,
        });
    }
    let types = ds
        .types
        .iter()
        .map(|&code| match DataType::from_code(code) {
            Some(
                t @ (DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Float
                | DataType::Double
                | DataType::Boolean
                | DataType::String
                | DataType::DateTime
                | DataType::Text
                | DataType::Uuid),
            ) => Ok(t),
            Some(t) => Err(err(format!("column type {t:?} is not a scalar"))),
            None => Err(ValueError::UnknownDatatype(code)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::with_capacity(ds.rows.len());
    for (r, row) in ds.rows.iter().enumerate() {
        if row.elements.len() != n {
            return Err(err(format!(
                "row {r} has {} cells for {n} columns",
                row.elements.len()
            )));
        }
        let cells = row
            .elements
            .iter()
            .zip(&types)
            .enumerate()
            .map(|(c, (cell, &t))| match &cell.value {
                None => Ok(MetricValue::Null),
                Some(v) => typed(t, v.into(), limits, 0)
                    .map_err(|e| err(format!("row {r}, column {c}: {e}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(cells);
    }
    Ok(DataSetValue {
        columns: ds.columns.clone(),
        types,
        rows,
    })
}

fn template(
    t: &proto::Template,
    limits: &DecodeLimits,
    depth: usize,
) -> Result<TemplateValue, ValueError> {
    let err = |m: String| ValueError::Template(m);
    if depth > limits.max_depth {
        return Err(err(format!("nested deeper than {}", limits.max_depth)));
    }
    let parameters = t
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = label(p.name.as_deref(), None, Some(i));
            let code = p
                .r#type
                .ok_or_else(|| err(format!("parameter {name} has no type")))?;
            let datatype = DataType::from_code(code)
                .ok_or_else(|| err(format!("parameter {name}: unknown datatype {code}")))?;
            let value = match &p.value {
                None => MetricValue::Null,
                Some(v) => typed(datatype, v.into(), limits, depth)
                    .map_err(|e| err(format!("parameter {name}: {e}")))?,
            };
            Ok(TemplateParameter {
                name: p.name.clone(),
                datatype,
                value,
            })
        })
        .collect::<Result<Vec<_>, ValueError>>()?;
    let metrics = t
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // Template definitions may leave member values out; they read as null.
            decode_metric(m, None, true, limits, depth).map_err(|e| {
                err(format!(
                    "member {}: {e}",
                    label(m.name.as_deref(), m.alias, Some(i))
                ))
            })
        })
        .collect::<Result<Vec<_>, ValueError>>()?;
    Ok(TemplateValue {
        version: t.version.clone(),
        template_ref: t.template_ref.clone(),
        is_definition: t.is_definition.unwrap_or(false),
        parameters,
        metrics,
    })
}

impl MetricValue {
    /// Types a metric's value by `datatype` (from the metric, or from its birth when the data
    /// message leaves it out). `is_null` wins over any value present.
    pub fn from_wire(
        datatype: DataType,
        metric: &proto::Metric,
        limits: &DecodeLimits,
    ) -> Result<MetricValue, ValueError> {
        value_of(datatype, metric, false, limits, 0)
    }

    /// The datatype this value is written as; `None` for [`MetricValue::Null`].
    pub fn datatype(&self) -> Option<DataType> {
        use DataType as D;
        use MetricValue as V;
        Some(match self {
            V::Null => return None,
            V::Int8(_) => D::Int8,
            V::Int16(_) => D::Int16,
            V::Int32(_) => D::Int32,
            V::Int64(_) => D::Int64,
            V::UInt8(_) => D::UInt8,
            V::UInt16(_) => D::UInt16,
            V::UInt32(_) => D::UInt32,
            V::UInt64(_) => D::UInt64,
            V::Float(_) => D::Float,
            V::Double(_) => D::Double,
            V::Boolean(_) => D::Boolean,
            V::String(_) => D::String,
            V::DateTime(_) => D::DateTime,
            V::Text(_) => D::Text,
            V::Uuid(_) => D::Uuid,
            V::DataSet(_) => D::DataSet,
            V::Bytes(_) => D::Bytes,
            V::File(_) => D::File,
            V::Template(_) => D::Template,
            V::Int8Array(_) => D::Int8Array,
            V::Int16Array(_) => D::Int16Array,
            V::Int32Array(_) => D::Int32Array,
            V::Int64Array(_) => D::Int64Array,
            V::UInt8Array(_) => D::UInt8Array,
            V::UInt16Array(_) => D::UInt16Array,
            V::UInt32Array(_) => D::UInt32Array,
            V::UInt64Array(_) => D::UInt64Array,
            V::FloatArray(_) => D::FloatArray,
            V::DoubleArray(_) => D::DoubleArray,
            V::BooleanArray(_) => D::BooleanArray,
            V::StringArray(_) => D::StringArray,
            V::DateTimeArray(_) => D::DateTimeArray,
        })
    }

    /// The value as a number, for scalars that have one (booleans read as 0/1).
    pub fn as_f64(&self) -> Option<f64> {
        use MetricValue as V;
        Some(match *self {
            V::Int8(v) => v.into(),
            V::Int16(v) => v.into(),
            V::Int32(v) => v.into(),
            V::Int64(v) => v as f64,
            V::UInt8(v) => v.into(),
            V::UInt16(v) => v.into(),
            V::UInt32(v) => v.into(),
            V::UInt64(v) => v as f64,
            V::Float(v) => v.into(),
            V::Double(v) => v,
            V::Boolean(v) => u8::from(v).into(),
            _ => return None,
        })
    }

    /// The value as an integer, for integer types only.
    pub fn as_i128(&self) -> Option<i128> {
        use MetricValue as V;
        Some(match *self {
            V::Int8(v) => v.into(),
            V::Int16(v) => v.into(),
            V::Int32(v) => v.into(),
            V::Int64(v) => v.into(),
            V::UInt8(v) => v.into(),
            V::UInt16(v) => v.into(),
            V::UInt32(v) => v.into(),
            V::UInt64(v) => v.into(),
            _ => return None,
        })
    }

    /// The value as text, for the string types.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetricValue::String(s) | MetricValue::Text(s) | MetricValue::Uuid(s) => Some(s),
            _ => None,
        }
    }

    /// The oneof value that carries this value; `None` for null.
    pub fn to_wire(&self) -> Option<metric::Value> {
        use MetricValue as V;
        use metric::Value as W;
        fn le<T, const N: usize>(values: &[T], f: impl Fn(&T) -> [u8; N]) -> W {
            W::BytesValue(values.iter().flat_map(f).collect())
        }
        Some(match self {
            V::Null => return None,
            // N-bit two's complement: what both common decoders read back correctly.
            V::Int8(v) => W::IntValue(u32::from(*v as u8)),
            V::Int16(v) => W::IntValue(u32::from(*v as u16)),
            V::Int32(v) => W::IntValue(*v as u32),
            V::Int64(v) => W::LongValue(*v as u64),
            V::UInt8(v) => W::IntValue((*v).into()),
            V::UInt16(v) => W::IntValue((*v).into()),
            V::UInt32(v) => W::IntValue(*v),
            V::UInt64(v) | V::DateTime(v) => W::LongValue(*v),
            V::Float(v) => W::FloatValue(*v),
            V::Double(v) => W::DoubleValue(*v),
            V::Boolean(v) => W::BooleanValue(*v),
            V::String(s) | V::Text(s) | V::Uuid(s) => W::StringValue(s.clone()),
            V::Bytes(b) | V::File(b) => W::BytesValue(b.clone()),
            V::DataSet(ds) => W::DatasetValue(data_set_to_wire(ds)),
            V::Template(t) => W::TemplateValue(proto::Template {
                version: t.version.clone(),
                metrics: t.metrics.iter().map(DecodedMetric::to_wire).collect(),
                parameters: t
                    .parameters
                    .iter()
                    .map(|p| proto::Parameter {
                        name: p.name.clone(),
                        r#type: Some(p.datatype.code()),
                        value: p.value.to_wire().and_then(|w| match w {
                            W::IntValue(v) => Some(parameter::Value::IntValue(v)),
                            W::LongValue(v) => Some(parameter::Value::LongValue(v)),
                            W::FloatValue(v) => Some(parameter::Value::FloatValue(v)),
                            W::DoubleValue(v) => Some(parameter::Value::DoubleValue(v)),
                            W::BooleanValue(v) => Some(parameter::Value::BooleanValue(v)),
                            W::StringValue(v) => Some(parameter::Value::StringValue(v)),
                            _ => None,
                        }),
                    })
                    .collect(),
                template_ref: t.template_ref.clone(),
                is_definition: Some(t.is_definition),
            }),
            V::Int8Array(v) => le(v, |x| x.to_le_bytes()),
            V::Int16Array(v) => le(v, |x| x.to_le_bytes()),
            V::Int32Array(v) => le(v, |x| x.to_le_bytes()),
            V::Int64Array(v) => le(v, |x| x.to_le_bytes()),
            V::UInt8Array(v) => W::BytesValue(v.clone()),
            V::UInt16Array(v) => le(v, |x| x.to_le_bytes()),
            V::UInt32Array(v) => le(v, |x| x.to_le_bytes()),
            V::UInt64Array(v) | V::DateTimeArray(v) => le(v, |x| x.to_le_bytes()),
            V::FloatArray(v) => le(v, |x| x.to_le_bytes()),
            V::DoubleArray(v) => le(v, |x| x.to_le_bytes()),
            V::BooleanArray(v) => {
                let mut bytes = (v.len() as u32).to_le_bytes().to_vec();
                bytes.resize(4 + v.len().div_ceil(8), 0);
                for (i, _) in v.iter().enumerate().filter(|(_, b)| **b) {
                    bytes[4 + i / 8] |= 0x80 >> (i % 8);
                }
                W::BytesValue(bytes)
            }
            V::StringArray(v) => W::BytesValue(
                v.iter()
                    .flat_map(|s| s.bytes().chain(std::iter::once(0)))
                    .collect(),
            ),
        })
    }
}

fn data_set_to_wire(ds: &DataSetValue) -> proto::DataSet {
    let cell = |v: &MetricValue| proto::DataSetValue {
        value: v.to_wire().and_then(|w| match w {
            metric::Value::IntValue(v) => Some(data_set_value::Value::IntValue(v)),
            metric::Value::LongValue(v) => Some(data_set_value::Value::LongValue(v)),
            metric::Value::FloatValue(v) => Some(data_set_value::Value::FloatValue(v)),
            metric::Value::DoubleValue(v) => Some(data_set_value::Value::DoubleValue(v)),
            metric::Value::BooleanValue(v) => Some(data_set_value::Value::BooleanValue(v)),
            metric::Value::StringValue(v) => Some(data_set_value::Value::StringValue(v)),
            _ => None,
        }),
    };
    proto::DataSet {
        num_of_columns: Some(ds.columns.len() as u64),
        columns: ds.columns.clone(),
        types: ds.types.iter().map(|t| t.code()).collect(),
        rows: ds
            .rows
            .iter()
            .map(|r| proto::Row {
                elements: r.iter().map(cell).collect(),
            })
            .collect(),
    }
}

fn value_of(
    datatype: DataType,
    m: &proto::Metric,
    missing_is_null: bool,
    limits: &DecodeLimits,
    depth: usize,
) -> Result<MetricValue, ValueError> {
    if matches!(datatype, DataType::PropertySet | DataType::PropertySetList) {
        return Err(ValueError::NotAMetricType(datatype));
    }
    if m.is_null == Some(true) {
        return Ok(MetricValue::Null);
    }
    match &m.value {
        Some(v) => typed(datatype, v.into(), limits, depth),
        None if missing_is_null => Ok(MetricValue::Null),
        None => Err(ValueError::MissingValue),
    }
}

/// Types one metric by its own datatype (`fallback` when it has none).
fn decode_metric(
    m: &proto::Metric,
    fallback: Option<DataType>,
    missing_is_null: bool,
    limits: &DecodeLimits,
    depth: usize,
) -> Result<DecodedMetric, ValueError> {
    let datatype = match m.datatype {
        Some(code) => DataType::from_code(code).ok_or(ValueError::UnknownDatatype(code))?,
        None => fallback.ok_or(ValueError::MissingDatatype)?,
    };
    Ok(DecodedMetric {
        name: m.name.clone(),
        alias: m.alias,
        timestamp: m.timestamp,
        datatype,
        is_historical: m.is_historical.unwrap_or(false),
        is_transient: m.is_transient.unwrap_or(false),
        value: value_of(datatype, m, missing_is_null, limits, depth)?,
        metadata: m.metadata.clone(),
        properties: m.properties.clone(),
    })
}

/// Types a wire metric whose datatype is known (`datatype` from its birth when the metric
/// carries none; the metric's own datatype wins when present).
pub fn decode_metric_with(
    m: &proto::Metric,
    datatype: Option<DataType>,
    limits: &DecodeLimits,
) -> Result<DecodedMetric, ValueError> {
    decode_metric(m, datatype, false, limits, 0)
}

impl DecodedMetric {
    pub fn to_wire(&self) -> proto::Metric {
        let null = self.value == MetricValue::Null;
        proto::Metric {
            name: self.name.clone(),
            alias: self.alias,
            timestamp: self.timestamp,
            datatype: Some(self.datatype.code()),
            is_historical: self.is_historical.then_some(true),
            is_transient: self.is_transient.then_some(true),
            is_null: null.then_some(true),
            metadata: self.metadata.clone(),
            properties: self.properties.clone(),
            value: self.value.to_wire(),
        }
    }
}

impl DecodedPayload {
    pub fn to_wire(&self) -> proto::Payload {
        proto::Payload {
            timestamp: self.timestamp,
            metrics: self.metrics.iter().map(DecodedMetric::to_wire).collect(),
            seq: self.seq,
            uuid: self.uuid.clone(),
            body: self.body.clone(),
        }
    }
}

/// Which nested messages a field holds, so the shape scan can descend into them.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Payload,
    Metric,
    Template,
    DataSet,
    Row,
    PropertySet,
    PropertyValue,
    PropertySetList,
}

impl Shape {
    fn child(self, field: u64) -> Option<Shape> {
        use Shape::*;
        match (self, field) {
            (Payload, 2) | (Template, 2) => Some(Metric),
            (Metric, 9) | (PropertyValue, 9) | (PropertySetList, 1) => Some(PropertySet),
            (Metric, 17) => Some(DataSet),
            (Metric, 18) => Some(Template),
            (DataSet, 4) => Some(Row),
            (PropertySet, 2) => Some(PropertyValue),
            (PropertyValue, 10) => Some(PropertySetList),
            _ => None,
        }
    }
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

struct Budget<'l> {
    limits: &'l DecodeLimits,
    elements: usize,
    metrics: usize,
}

/// Counts fields and metrics at every level before prost allocates: each counted field costs
/// at most a few hundred bytes once decoded, so the limits bound memory.
fn scan(buf: &[u8], shape: Shape, depth: usize, budget: &mut Budget) -> Result<(), SparkplugError> {
    let malformed = || SparkplugError::Protobuf("malformed protobuf field".into());
    if depth > budget.limits.max_depth {
        return Err(SparkplugError::TooDeep {
            max: budget.limits.max_depth,
        });
    }
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos).ok_or_else(malformed)?;
        let field = key >> 3;
        budget.elements += 1;
        if budget.elements > budget.limits.max_elements {
            return Err(SparkplugError::TooManyElements {
                max: budget.limits.max_elements,
            });
        }
        match key & 7 {
            0 => {
                varint(buf, &mut pos).ok_or_else(malformed)?;
            }
            1 => {
                pos = pos
                    .checked_add(8)
                    .filter(|&p| p <= buf.len())
                    .ok_or_else(malformed)?
            }
            5 => {
                pos = pos
                    .checked_add(4)
                    .filter(|&p| p <= buf.len())
                    .ok_or_else(malformed)?
            }
            2 => {
                let len = varint(buf, &mut pos).ok_or_else(malformed)?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|l| pos.checked_add(l))
                    .filter(|&e| e <= buf.len())
                    .ok_or_else(malformed)?;
                if let Some(child) = shape.child(field) {
                    if child == Shape::Metric {
                        budget.metrics += 1;
                        if budget.metrics > budget.limits.max_metrics {
                            return Err(SparkplugError::TooManyMetrics {
                                max: budget.limits.max_metrics,
                            });
                        }
                    }
                    scan(&buf[pos..end], child, depth + 1, budget)?;
                }
                pos = end;
            }
            // Groups (3, 4) do not occur in the Sparkplug schema; 6 and 7 are invalid.
            _ => return Err(malformed()),
        }
    }
    Ok(())
}

/// Decodes the wire structs after checking size and shape against `limits`.
pub fn decode_raw(bytes: &[u8], limits: &DecodeLimits) -> Result<proto::Payload, SparkplugError> {
    if bytes.len() > limits.max_payload_bytes {
        return Err(SparkplugError::Oversized {
            bytes: bytes.len(),
            max: limits.max_payload_bytes,
        });
    }
    scan(
        bytes,
        Shape::Payload,
        0,
        &mut Budget {
            limits,
            elements: 0,
            metrics: 0,
        },
    )?;
    proto::Payload::decode(bytes).map_err(|e| SparkplugError::Protobuf(e.to_string()))
}

/// Decodes a self-describing payload (every metric carries its datatype, as in births).
pub fn decode(bytes: &[u8]) -> Result<DecodedPayload, SparkplugError> {
    decode_with_limits(bytes, &DecodeLimits::default())
}

pub fn decode_with_limits(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<DecodedPayload, SparkplugError> {
    let raw = decode_raw(bytes, limits)?;
    let metrics = raw
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            decode_metric(m, None, false, limits, 0).map_err(|error| SparkplugError::Metric {
                metric: label(m.name.as_deref(), m.alias, Some(i)),
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DecodedPayload {
        timestamp: raw.timestamp,
        seq: raw.seq,
        uuid: raw.uuid,
        body: raw.body,
        metrics,
    })
}

pub fn encode(payload: &DecodedPayload) -> Vec<u8> {
    payload.to_wire().encode_to_vec()
}

/// The metric an NCMD carries to ask an edge node to publish its births again.
pub const REBIRTH_METRIC: &str = "Node Control/Rebirth";

/// The NCMD payload requesting a rebirth (publish it to [`super::topic::ncmd_topic`]).
pub fn rebirth_command(now_ms: u64) -> Vec<u8> {
    encode(&DecodedPayload {
        timestamp: Some(now_ms),
        metrics: vec![DecodedMetric {
            timestamp: Some(now_ms),
            ..DecodedMetric::new(REBIRTH_METRIC, MetricValue::Boolean(true))
        }],
        ..Default::default()
    })
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
