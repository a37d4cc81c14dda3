//! A small zip reader and writer for `.npz` archives: stored and deflated
//! members (deflate by `miniz_oxide`), zip64 sizes and offsets, CRC-32
//! checked on read. Encrypted and multi-disk archives are refused.

use std::io::Write;

use miniz_oxide::deflate::core::{
    compress, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush, TDEFLStatus,
};

use super::{Ctx, Cursor, Source};
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------
// CRC-32 (IEEE), slicing by 8

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut s = 1;
        while s < 8 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            s += 1;
        }
        i += 1;
    }
    t
}

static CRC: [[u32; 256]; 8] = crc_tables();

/// A running CRC-32 (the checksum zip stores for each member).
/// It counts the bytes it has seen too.
#[derive(Clone, Copy)]
pub(crate) struct Crc32(u32, u64);

impl Crc32 {
    pub(crate) fn new() -> Self {
        Crc32(!0, 0)
    }
    /// Bytes fed so far.
    pub(crate) fn len(self) -> u64 {
        self.1
    }
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.1 += data.len() as u64;
        let mut c = self.0;
        let mut chunks = data.chunks_exact(8);
        for ch in &mut chunks {
            let lo = c ^ u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]);
            c = CRC[7][(lo & 0xFF) as usize]
                ^ CRC[6][((lo >> 8) & 0xFF) as usize]
                ^ CRC[5][((lo >> 16) & 0xFF) as usize]
                ^ CRC[4][(lo >> 24) as usize]
                ^ CRC[3][ch[4] as usize]
                ^ CRC[2][ch[5] as usize]
                ^ CRC[1][ch[6] as usize]
                ^ CRC[0][ch[7] as usize];
        }
        for &b in chunks.remainder() {
            c = CRC[0][((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }
    pub(crate) fn value(self) -> u32 {
        !self.0
    }
}

// ---------------------------------------------------------------------------
// Reading

const SIG_LOCAL: u32 = 0x0403_4b50;
const SIG_CENTRAL: u32 = 0x0201_4b50;
const SIG_EOCD: u32 = 0x0605_4b50;
const SIG_EOCD64: u32 = 0x0606_4b50;
const SIG_LOCATOR64: u32 = 0x0706_4b50;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// One member of an archive, as listed in its central directory.
pub(crate) struct Entry {
    pub name: String,
    pub method: u16,
    pub crc: u32,
    pub csize: u64,
    pub usize: u64,
    local_offset: u64,
}

/// Whether `src` starts like a zip archive (a local header or an empty
/// archive's end record).
pub(crate) fn looks_like_zip(src: &Source<'_>) -> bool {
    let mut b = [0u8; 4];
    matches!(src.read_at(0, &mut b), Ok(true))
        && matches!(u32::from_le_bytes(b), SIG_LOCAL | SIG_EOCD)
}

/// The central directory of the archive in `src`.
pub(crate) fn entries(src: &Source<'_>, ctx: &Ctx<'_>) -> Result<Vec<Entry>> {
    let bad = |m: &str| ctx.err(format!("Invalid zip archive ({m})"));
    let len = src.len();
    let tail_len = len.min(22 + 65535);
    let tail = src.bytes(len - tail_len, tail_len, ctx, "the zip directory")?;
    let pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == SIG_EOCD.to_le_bytes())
        .ok_or_else(|| bad("no end-of-directory record; the file may be truncated"))?;
    let eocd_off = len - tail_len + pos as u64;
    let mut c = Cursor::new(&tail[pos + 4..]);
    let disk = c.u16().unwrap_or(0);
    let cd_disk = c.u16().unwrap_or(0);
    let _n_disk = c.u16();
    let mut count = c.u16().unwrap_or(0) as u64;
    let mut cd_size = c.u32().unwrap_or(0) as u64;
    let mut cd_off = c.u32().unwrap_or(0) as u64;
    if disk != 0 || cd_disk != 0 {
        return Err(bad("multi-disk archives are not supported"));
    }
    if count == 0xFFFF || cd_size == U32_MAX || cd_off == U32_MAX {
        // zip64: the locator sits just before the end record.
        if eocd_off < 20 {
            return Err(bad("missing zip64 locator"));
        }
        let loc = src.bytes(eocd_off - 20, 20, ctx, "the zip64 locator")?;
        let mut c = Cursor::new(&loc);
        if c.u32() != Some(SIG_LOCATOR64) {
            return Err(bad("missing zip64 locator"));
        }
        let _ = c.u32();
        let rec_off = c.u64().unwrap_or(u64::MAX);
        let rec = src.bytes(rec_off, 56, ctx, "the zip64 end record")?;
        let mut c = Cursor::new(&rec);
        if c.u32() != Some(SIG_EOCD64) {
            return Err(bad("bad zip64 end record"));
        }
        c.take(20);
        let _ = c.u64();
        count = c.u64().unwrap_or(0);
        cd_size = c.u64().unwrap_or(0);
        cd_off = c.u64().unwrap_or(0);
    }
    if cd_off.checked_add(cd_size).is_none_or(|e| e > len) {
        return Err(bad("the central directory lies beyond the end of the file"));
    }
    let cd = src.bytes(cd_off, cd_size, ctx, "the zip central directory")?;
    let mut c = Cursor::new(&cd);
    let mut out = Vec::new();
    for _ in 0..count {
        let short = || bad("central directory entry cut short");
        if c.u32() != Some(SIG_CENTRAL) {
            return Err(bad("bad central directory entry"));
        }
        c.take(4).ok_or_else(short)?;
        let flags = c.u16().ok_or_else(short)?;
        let method = c.u16().ok_or_else(short)?;
        c.take(4).ok_or_else(short)?;
        let crc = c.u32().ok_or_else(short)?;
        let mut csize = c.u32().ok_or_else(short)? as u64;
        let mut usize = c.u32().ok_or_else(short)? as u64;
        let name_len = c.u16().ok_or_else(short)? as usize;
        let extra_len = c.u16().ok_or_else(short)? as usize;
        let comment_len = c.u16().ok_or_else(short)? as usize;
        c.take(8).ok_or_else(short)?;
        let mut local_offset = c.u32().ok_or_else(short)? as u64;
        let name = c.take(name_len).ok_or_else(short)?;
        let extra = c.take(extra_len).ok_or_else(short)?;
        c.take(comment_len).ok_or_else(short)?;
        let name = String::from_utf8_lossy(name).into_owned();
        if flags & 1 != 0 {
            return Err(ctx.err(format!(
                "Zip member '{name}' is encrypted, which is not supported"
            )));
        }
        // zip64 extra field: the 64-bit values of the saturated fields.
        let mut e = Cursor::new(extra);
        while let (Some(id), Some(n)) = (e.u16(), e.u16()) {
            let Some(body) = e.take(n as usize) else {
                break;
            };
            if id == 1 {
                let mut b = Cursor::new(body);
                if usize == U32_MAX {
                    usize = b.u64().ok_or_else(short)?;
                }
                if csize == U32_MAX {
                    csize = b.u64().ok_or_else(short)?;
                }
                if local_offset == U32_MAX {
                    local_offset = b.u64().ok_or_else(short)?;
                }
            }
        }
        out.push(Entry {
            name,
            method,
            crc,
            csize,
            usize,
            local_offset,
        });
    }
    Ok(out)
}

/// Where the member's (possibly compressed) bytes start.
pub(crate) fn data_offset(src: &Source<'_>, e: &Entry, ctx: &Ctx<'_>) -> Result<u64> {
    let h = src.bytes(e.local_offset, 30, ctx, "a zip local header")?;
    let mut c = Cursor::new(&h);
    if c.u32() != Some(SIG_LOCAL) {
        return Err(ctx.err(format!(
            "Invalid zip archive (bad local header for member '{}')",
            e.name
        )));
    }
    c.take(22);
    let n = c.u16().unwrap_or(0) as u64;
    let m = c.u16().unwrap_or(0) as u64;
    let off = e.local_offset + 30 + n + m;
    if off.checked_add(e.csize).is_none_or(|end| end > src.len()) {
        return Err(ctx.truncated(
            &format!("zip member '{}'", e.name),
            off.saturating_add(e.csize),
        ));
    }
    Ok(off)
}

/// The member's bytes, inflated and checked against its CRC.
pub(crate) fn read_entry(src: &Source<'_>, e: &Entry, ctx: &Ctx<'_>) -> Result<Vec<u8>> {
    let off = data_offset(src, e, ctx)?;
    let what = format!("zip member '{}'", e.name);
    let raw = src.bytes(off, e.csize, ctx, &what)?;
    let data = match e.method {
        0 => raw,
        8 => {
            let limit =
                usize::try_from(e.usize).map_err(|_| ctx.err(format!("{what} is too large")))?;
            miniz_oxide::inflate::decompress_to_vec_with_limit(&raw, limit).map_err(|err| {
                ctx.err(format!(
                    "Corrupt compressed data in {what} ({:?})",
                    err.status
                ))
            })?
        }
        m => {
            return Err(ctx.err(format!(
            "Unsupported compression method {m} for {what} (only stored and deflate are supported)"
        )))
        }
    };
    if data.len() as u64 != e.usize {
        return Err(ctx.err(format!(
            "Corrupt {what}: {} bytes instead of {}",
            data.len(),
            e.usize
        )));
    }
    check_crc(e, Crc32::new_with(&data), ctx)?;
    Ok(data)
}

impl Crc32 {
    fn new_with(data: &[u8]) -> Crc32 {
        let mut c = Crc32::new();
        c.update(data);
        c
    }
}

/// Compares a member's checksum with the one the directory records.
pub(crate) fn check_crc(e: &Entry, crc: Crc32, ctx: &Ctx<'_>) -> Result<()> {
    if crc.value() != e.crc {
        return Err(ctx.err(format!(
            "CRC-32 mismatch for zip member '{}' (the data is corrupt)",
            e.name
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Writing

/// Writes a zip archive member by member to any writer (no seeking: sizes
/// and checksums are computed before each member is written).
pub(crate) struct ZipWriter<'w> {
    w: &'w mut dyn Write,
    off: u64,
    central: Vec<u8>,
    count: u64,
    time: (u16, u16),
    err: Box<dyn Fn(std::io::Error) -> Error>,
}

impl<'w> ZipWriter<'w> {
    pub(crate) fn new(w: &'w mut dyn Write, err: Box<dyn Fn(std::io::Error) -> Error>) -> Self {
        ZipWriter {
            w,
            off: 0,
            central: Vec::new(),
            count: 0,
            time: dos_time_now(),
            err,
        }
    }

    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.w.write_all(b).map_err(&self.err)?;
        self.off += b.len() as u64;
        Ok(())
    }

    /// Adds a member holding the concatenation of `parts`.
    pub(crate) fn add(&mut self, name: &str, parts: &[&[u8]], deflate: bool) -> Result<()> {
        let mut crc = Crc32::new();
        let mut usize = 0u64;
        for p in parts {
            crc.update(p);
            usize += p.len() as u64;
        }
        let packed = if deflate {
            Some(deflate_parts(parts)?)
        } else {
            None
        };
        let csize = packed.as_ref().map_or(usize, |v| v.len() as u64);
        let (method, big) = (
            if deflate { 8u16 } else { 0 },
            usize >= U32_MAX || csize >= U32_MAX,
        );
        let version: u16 = if big || self.off >= U32_MAX { 45 } else { 20 };
        let flags: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
        let sat = |v: u64| {
            if v >= U32_MAX {
                U32_MAX as u32
            } else {
                v as u32
            }
        };

        let mut local_extra = Vec::new();
        if big {
            local_extra.extend_from_slice(&1u16.to_le_bytes());
            local_extra.extend_from_slice(&16u16.to_le_bytes());
            local_extra.extend_from_slice(&usize.to_le_bytes());
            local_extra.extend_from_slice(&csize.to_le_bytes());
        }
        let local_off = self.off;
        let mut h = Vec::with_capacity(30 + name.len() + local_extra.len());
        h.extend_from_slice(&SIG_LOCAL.to_le_bytes());
        for v in [version, flags, method, self.time.0, self.time.1] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&crc.value().to_le_bytes());
        let (cs, us) = if big {
            (U32_MAX as u32, U32_MAX as u32)
        } else {
            (csize as u32, usize as u32)
        };
        h.extend_from_slice(&cs.to_le_bytes());
        h.extend_from_slice(&us.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(local_extra.len() as u16).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        h.extend_from_slice(&local_extra);
        self.put(&h)?;
        match &packed {
            Some(v) => self.put(v)?,
            None => {
                for p in parts {
                    self.put(p)?;
                }
            }
        }

        // Central directory entry, with zip64 values for saturated fields.
        let mut extra = Vec::new();
        for v in [usize, csize, local_off] {
            if v >= U32_MAX {
                extra.extend_from_slice(&v.to_le_bytes());
            }
        }
        let c = &mut self.central;
        c.extend_from_slice(&SIG_CENTRAL.to_le_bytes());
        for v in [
            (3u16 << 8) | 45,
            version,
            flags,
            method,
            self.time.0,
            self.time.1,
        ] {
            c.extend_from_slice(&v.to_le_bytes());
        }
        c.extend_from_slice(&crc.value().to_le_bytes());
        c.extend_from_slice(&sat(csize).to_le_bytes());
        c.extend_from_slice(&sat(usize).to_le_bytes());
        c.extend_from_slice(&(name.len() as u16).to_le_bytes());
        let extra_len = if extra.is_empty() { 0 } else { extra.len() + 4 };
        c.extend_from_slice(&(extra_len as u16).to_le_bytes());
        c.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // comment, disk, internal attributes
        c.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        c.extend_from_slice(&sat(local_off).to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        if !extra.is_empty() {
            c.extend_from_slice(&1u16.to_le_bytes());
            c.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            c.extend_from_slice(&extra);
        }
        self.count += 1;
        Ok(())
    }

    /// Writes the central directory and end records.
    pub(crate) fn finish(mut self) -> Result<()> {
        let cd_off = self.off;
        let central = std::mem::take(&mut self.central);
        self.put(&central)?;
        let cd_size = central.len() as u64;
        let zip64 = self.count >= 0xFFFF || cd_off >= U32_MAX || cd_size >= U32_MAX;
        let mut t = Vec::new();
        if zip64 {
            let rec_off = self.off;
            t.extend_from_slice(&SIG_EOCD64.to_le_bytes());
            t.extend_from_slice(&44u64.to_le_bytes());
            t.extend_from_slice(&((3u16 << 8) | 45).to_le_bytes());
            t.extend_from_slice(&45u16.to_le_bytes());
            t.extend_from_slice(&[0; 8]);
            for v in [self.count, self.count, cd_size, cd_off] {
                t.extend_from_slice(&v.to_le_bytes());
            }
            t.extend_from_slice(&SIG_LOCATOR64.to_le_bytes());
            t.extend_from_slice(&0u32.to_le_bytes());
            t.extend_from_slice(&rec_off.to_le_bytes());
            t.extend_from_slice(&1u32.to_le_bytes());
        }
        let n16 = self.count.min(0xFFFF) as u16;
        let sat = |v: u64| v.min(U32_MAX) as u32;
        t.extend_from_slice(&SIG_EOCD.to_le_bytes());
        t.extend_from_slice(&[0, 0, 0, 0]);
        t.extend_from_slice(&n16.to_le_bytes());
        t.extend_from_slice(&n16.to_le_bytes());
        t.extend_from_slice(&sat(cd_size).to_le_bytes());
        t.extend_from_slice(&sat(cd_off).to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes());
        self.put(&t)
    }
}

/// Raw deflate (zlib's default level 6, as NumPy's `savez_compressed`) of
/// the concatenated `parts`, streamed so they need not be joined first.
fn deflate_parts(parts: &[&[u8]]) -> Result<Vec<u8>> {
    let mut comp = Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
        6, 0, 0,
    )));
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = vec![0u8; (total / 2).max(256)];
    let mut pos = 0usize;
    let empty: &[u8] = &[];
    for (k, mut input) in parts
        .iter()
        .copied()
        .chain(std::iter::once(empty))
        .enumerate()
    {
        let finish = k == parts.len();
        loop {
            if out.len() - pos < 1024 {
                let grow = out.len();
                out.resize(out.len() + grow, 0);
            }
            let flush = if finish {
                TDEFLFlush::Finish
            } else {
                TDEFLFlush::None
            };
            let (status, used, wrote) = compress(&mut comp, input, &mut out[pos..], flush);
            pos += wrote;
            input = &input[used.min(input.len())..];
            match status {
                TDEFLStatus::Done => break,
                TDEFLStatus::Okay if !finish && input.is_empty() => break,
                TDEFLStatus::Okay => {}
                s => {
                    return Err(Error::runtime(format!(
                        "[savez_compressed] deflate failed ({s:?})"
                    )))
                }
            }
        }
    }
    out.truncate(pos);
    Ok(out)
}

/// The current UTC time as MS-DOS (time, date) fields.
fn dos_time_now() -> (u16, u16) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since 1970-01-01 (Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + (month <= 2) as i64;
    let year = year.clamp(1980, 2107);
    let time = ((rem / 3600) << 11) | (((rem % 3600) / 60) << 5) | ((rem % 60) / 2);
    let date = ((year - 1980) << 9) | (month << 5) | day;
    (time as u16, date as u16)
}

#[cfg(test)]
mod tests {
    use super::Crc32;

    #[test]
    fn crc_matches_known_values() {
        let mut c = Crc32::new();
        c.update(b"123456789");
        assert_eq!(c.value(), 0xCBF4_3926);
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut whole = Crc32::new();
        whole.update(&data);
        let mut split = Crc32::new();
        split.update(&data[..13]);
        split.update(&data[13..]);
        assert_eq!(whole.value(), split.value());
    }
}
