// genlab studio: the runs list (#), one run (#run=NAME). Plain JavaScript against the JSON API under /api/.
"use strict";

const view = document.getElementById("view");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "onclick" || key === "oninput") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || body.detail || response.statusText);
  return body;
}

function figure(value) {
  if (value === null || value === undefined) return "";
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(3);
}

function fileUrl(run, path) {
  return `/api/file?run=${encodeURIComponent(run)}&path=${encodeURIComponent(path)}`;
}

// --- the runs list -------------------------------------------------------------------------------------------

const COLUMNS = [["name", "run"], ["family", "family"], ["dataset", "data"], ["steps", "steps"],
                 ["headline", "headline figure"]];
const MAX_COMPARED = 4;
let listState = { sortKey: "name", ascending: true, filter: "", chosen: new Set() };

function sortValue(run, key) {
  if (key === "headline") return run.headline ? run.headline.value : Infinity;
  const value = run[key];
  return value === null || value === undefined ? "" : value;
}

function renderList(data) {
  document.getElementById("root").textContent = data.root;
  const filter = el("input", { id: "filter", placeholder: "filter runs", value: listState.filter });
  const body = el("tbody");
  const compare = el("button", { id: "compare", onclick: () => {
    location.hash = "compare=" + [...listState.chosen].map(encodeURIComponent).join(",");
  } }, "Compare");
  function updateCompare() {
    compare.disabled = listState.chosen.size < 2;
    compare.textContent = `Compare ${listState.chosen.size || ""}`.trim();
  }
  const table = el("table", { id: "runs" },
    el("thead", {}, el("tr", {}, el("th", {}, ""), COLUMNS.map(([key, label]) =>
      el("th", { class: "sortable", "data-key": key, onclick: () => {
        listState.ascending = listState.sortKey === key ? !listState.ascending : true;
        listState.sortKey = key;
        fill();
      } }, label)))),
    body);
  function fill() {
    const wanted = listState.filter.toLowerCase();
    const runs = data.runs.filter(run => JSON.stringify(run).toLowerCase().includes(wanted));
    runs.sort((a, b) => {
      const x = sortValue(a, listState.sortKey), y = sortValue(b, listState.sortKey);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return listState.ascending ? order : -order;
    });
    body.replaceChildren(...runs.map(run => run.error
      ? el("tr", { class: "error" }, el("td", {}, ""), el("td", {}, run.name), el("td", { colspan: 4 }, run.error))
      : el("tr", {},
          el("td", {}, choice(run.name)),
          el("td", {}, el("a", { href: `#run=${encodeURIComponent(run.name)}` }, run.name)),
          el("td", {}, run.family), el("td", {}, run.dataset), el("td", { class: "num" }, run.steps ?? ""),
          el("td", { class: "num" }, run.headline ? `${run.headline.label} ${figure(run.headline.value)}` : ""))));
  }
  function choice(name) {
    const box = el("input", { type: "checkbox", class: "choose", "data-run": name });
    box.checked = listState.chosen.has(name);
    box.onchange = () => {
      if (box.checked && listState.chosen.size >= MAX_COMPARED) box.checked = false;
      else if (box.checked) listState.chosen.add(name);
      else listState.chosen.delete(name);
      updateCompare();
    };
    return box;
  }
  filter.oninput = () => { listState.filter = filter.value; fill(); };
  fill();
  updateCompare();
  view.replaceChildren(el("div", { class: "row" }, filter, compare,
                          el("span", { class: "muted" }, `${data.runs.length} runs; tick 2 to ${MAX_COMPARED} to compare`)),
                       table);
}

// --- comparing runs ------------------------------------------------------------------------------------------

function renderCompare(runs) {
  const header = el("tr", {}, el("th", {}, ""), runs.map(run => el("th", {}, el("a", { href: `#run=${encodeURIComponent(run.name)}` }, run.name))));
  const rows = [["family", r => r.family], ["data", r => r.dataset], ["steps", r => r.steps ?? ""],
                ["parameters", r => (r.parameters || 0).toLocaleString()],
                ["headline", r => r.headline ? `${r.headline.label} ${figure(r.headline.value)}` : "not evaluated"]]
    .map(([label, get]) => el("tr", {}, el("th", {}, label), runs.map(run => el("td", { class: "num" }, get(run)))));
  const titles = [...new Set(runs.flatMap(run => run.evaluation ? run.evaluation.sections.map(s => s.title) : []))];
  const columns = titles.map(title => el("section", { class: "card" }, el("h2", {}, title),
    el("div", { class: "row compare-row" }, runs.map(run => {
      const section = run.evaluation && run.evaluation.sections.find(s => s.title === title);
      return el("div", { class: "compare-cell" }, el("strong", {}, run.name),
        section ? [section.tables.map(table => el("table", {},
                     el("thead", {}, el("tr", {}, table.columns.map(c => el("th", {}, c)))),
                     el("tbody", {}, table.rows.map(row => el("tr", {}, row.map((cell, i) => el("td", { class: i ? "num" : "" }, cell))))))),
                   section.pictures.map(p => el("img", { class: "picture", src: fileUrl(run.name, p.path), alt: p.caption }))]
                : el("p", { class: "muted" }, "—"));
    }))));
  view.replaceChildren(el("p", {}, el("a", { href: "#" }, "← all runs")), el("h1", {}, "Compare"),
                       el("table", { id: "compared" }, el("thead", {}, header), el("tbody", {}, rows)), ...columns);
}

// --- one run -------------------------------------------------------------------------------------------------

function curve(metrics) {
  const series = {};
  for (const record of metrics) {
    for (const [key, value] of Object.entries(record)) {
      if (typeof value !== "number" || ["step", "elapsed", "lr", "grad_norm"].includes(key)) continue;
      const name = record.split === "val" ? key : `train ${key}`;
      (series[name] = series[name] || []).push([record.step, value]);
    }
  }
  const names = Object.keys(series);
  if (!names.length) return el("p", { class: "muted" }, "No training log.");
  const select = el("select", { id: "series" }, names.map(name => el("option", { value: name }, name)));
  const canvas = el("canvas", { id: "curve", width: 640, height: 240 });
  function draw() {
    const points = series[select.value], ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const xs = points.map(p => p[0]), ys = points.map(p => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const sx = x => 40 + (canvas.width - 50) * (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5);
    const sy = y => canvas.height - 25 - (canvas.height - 40) * (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5);
    ctx.strokeStyle = "#3366cc"; ctx.lineWidth = 1.5; ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
    ctx.stroke();
    ctx.fillStyle = "#555"; ctx.font = "11px sans-serif";
    ctx.fillText(figure(y1), 2, 15); ctx.fillText(figure(y0), 2, canvas.height - 25);
    ctx.fillText(`step ${x0}`, 40, canvas.height - 8); ctx.fillText(`step ${x1}`, canvas.width - 70, canvas.height - 8);
  }
  select.onchange = draw;
  setTimeout(draw, 0);
  return el("div", {}, select, el("br"), canvas);
}

function sampler(run) {
  const seed = el("input", { id: "seed", type: "number", value: 0, min: 0, style: "width:6em" });
  const count = el("input", { id: "count", type: "number", value: 16, min: 1, max: 64, style: "width:5em" });
  // the knobs this run's sampler takes (a diffusion run: steps, method, guidance), drawn from their
  // declarations (genlab/models/sampler_options.py): empty means the family's default
  const knobs = {};
  for (const [name, c] of Object.entries(run.sampler_controls)) {
    knobs[name] = c.choices.length
      ? el("select", { id: name, title: c.help }, el("option", { value: "" }, "default"),
           c.choices.map(m => el("option", { value: m }, m)))
      : el("input", { id: name, type: "number", title: c.help, placeholder: "default", style: "width:6em",
                      step: c.type === "int" ? 1 : 0.1, min: c.minimum ?? c.above ?? "", max: c.most ?? "" });
  }
  const offered = run.sampler_options.filter(name => name !== "guidance" || run.classes);
  const label = run.classes ? el("select", { id: "label" }, el("option", { value: "" }, "each class"),
                                 run.classes.map((name, i) => el("option", { value: i }, name))) : null;
  function request() {
    const body = { run: run.name, n: Number(count.value), seed: Number(seed.value) };
    for (const name of offered) {
      const value = knobs[name].value;
      if (value !== "") body[name] = name === "method" ? value : Number(value);
    }
    if (label && label.value !== "") body.label = Number(label.value);
    return body;
  }
  const image = el("img", { id: "samples", class: "picture", alt: "samples" });
  const molecules = el("div", { id: "molecules" });
  const status = el("span", { id: "sample-status", class: "muted" });
  const bar = el("progress", { id: "sample-progress", value: 0, max: 1 });
  const cancel = el("button", { id: "cancel", disabled: "" }, "Cancel");
  let job = null;
  async function draw() {
    status.textContent = "sampling…"; status.className = "muted";
    try {
      job = await post("/api/jobs/sample", request());
    } catch (err) { status.textContent = err.message; status.className = "error"; return; }
    cancel.removeAttribute("disabled");
    const events = new EventSource(`/api/jobs/${job.id}/events`);
    events.onmessage = message => {
      const state = JSON.parse(message.data);
      bar.max = state.total; bar.value = state.done;
      if (state.state === "running") return;
      events.close(); cancel.setAttribute("disabled", "");
      if (state.state === "finished") {
        image.src = state.result.image;
        molecules.replaceChildren(...moleculeTable(state.result.molecules));
        status.textContent = `${state.result.n} samples, seed ${state.result.seed}`;
      } else {
        status.textContent = state.state === "cancelled" ? "cancelled" : state.error;
        status.className = state.state === "cancelled" ? "muted" : "error";
      }
    };
  }
  cancel.onclick = () => { if (job) fetch(`/api/jobs/${job.id}`, { method: "DELETE" }); };
  const again = el("button", { id: "new-batch", onclick: () => { seed.value = Number(seed.value) + 1; draw(); } },
                   "New batch");
  setTimeout(draw, 0);
  return el("section", { class: "card" }, el("h2", {}, "Live samples"),
            el("div", { class: "row" }, "seed", seed, "samples", count, offered.map(name => [name, knobs[name]]),
               label ? ["class", label] : null, again, cancel, bar, status),
            image, molecules);
}

function moleculeTable(molecules) {
  if (!molecules) return [];
  const names = ["QED", "logP", "SA", "weight"];
  const valid = molecules.filter(m => m.valid).length;
  return [el("p", { class: "muted" }, `${valid} of ${molecules.length} valid`),
          el("table", { id: "molecule-table" },
            el("thead", {}, el("tr", {}, el("th", {}, "SMILES"), names.map(name => el("th", {}, name)))),
            el("tbody", {}, molecules.map(m => el("tr", { class: m.valid ? "" : "error" },
              el("td", { class: "smiles" }, m.valid ? m.smiles : `${m.smiles} (invalid)`),
              names.map(name => el("td", { class: "num" }, m.valid ? m[name].toFixed(name === "weight" ? 1 : 2) : ""))))))];
}

async function post(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

async function uploaded(file) {
  const form = new FormData();
  form.append("file", file);
  return api("/api/upload", { method: "POST", body: form });
}

function interpolation(run) {
  const seed = el("input", { id: "walk-seed", type: "number", value: 0, min: 0, style: "width:6em" });
  const slider = el("input", { id: "walk", type: "range", min: 0, max: 8, value: 0, disabled: "" });
  const image = el("img", { id: "walk-image", class: "picture walk", alt: "interpolation" });
  const status = el("span", { id: "walk-status", class: "muted" });
  const ends = [0, 1].map(i => el("input", { type: "file", id: `walk-upload-${i}`, accept: "image/*" }));
  let frames = [];
  slider.oninput = () => { image.src = frames[Number(slider.value)]; status.textContent = `step ${slider.value}`; };
  async function load(uploads) {
    status.textContent = "encoding…"; status.className = "muted";
    try {
      const result = await post("/api/interpolate", { run: run.name, seed: Number(seed.value), steps: 9, uploads });
      frames = result.frames;
      slider.max = frames.length - 1; slider.value = 0; slider.removeAttribute("disabled"); slider.oninput();
      if (result.notes.length) status.textContent += ` (${result.notes.join("; ")})`;
    } catch (err) { status.textContent = err.message; status.className = "error"; }
  }
  async function walkUploads() {
    if (ends.some(input => !input.files.length)) return;
    status.textContent = "uploading…";
    try {
      load((await Promise.all(ends.map(input => uploaded(input.files[0])))).map(kept => kept.upload));
    } catch (err) { status.textContent = err.message; status.className = "error"; }
  }
  ends.forEach(input => { input.onchange = walkUploads; });
  const pair = el("button", { id: "walk-pair", onclick: () => { seed.value = Number(seed.value) + 1; load(); } },
                  "Another pair");
  setTimeout(load, 0);
  return el("section", { class: "card" }, el("h2", {}, "Interpolation"),
            el("div", { class: "row" }, "two test examples, pair", seed, pair, "or two images of yours", ends),
            el("div", { class: "row" }, slider, status), image);
}

function traversal(run) {
  const image = el("img", { id: "traversal", class: "picture", alt: "latent traversal" });
  const status = el("span", { class: "muted" }, "sweeping every latent…");
  post("/api/traverse", { run: run.name, seed: 0, steps: 9 })
    .then(result => { image.src = result.image; status.textContent = "one row per latent, the most used first"; })
    .catch(err => { status.textContent = err.message; status.className = "error"; });
  return el("section", { class: "card" }, el("h2", {}, "Latent traversal"), status, el("br"), image);
}

function uploadCard(run, title, endpoint, show) {
  const input = el("input", { type: "file", id: "upload", accept: "image/*" });
  const status = el("span", { id: "upload-status", class: "muted" });
  const output = el("div", { id: "app-output" });
  input.onchange = async () => {
    if (!input.files.length) return;
    status.textContent = "working…"; status.className = "muted";
    try {
      const kept = await uploaded(input.files[0]);
      const result = await post(endpoint, { run: run.name, upload: kept.upload });
      output.replaceChildren(show(result));
      const notes = [...(kept.notes || []), ...(result.notes || [])];  // what reading the upload lost, then the app's
      status.textContent = `${kept.width}x${kept.height}` + (notes.length ? ` (${notes.join("; ")})` : "");
    } catch (err) { status.textContent = err.message; status.className = "error"; }
  };
  return el("section", { class: "card" }, el("h2", {}, title), el("div", { class: "row" }, input, status), output);
}

function beforeAfter(result) {
  const after = el("img", { id: "after", src: result.after, alt: "upscaled" });
  const slider = el("input", { id: "split", type: "range", min: 0, max: 100, value: 50 });
  const cut = () => { after.style.clipPath = `inset(0 ${100 - Number(slider.value)}% 0 0)`; };
  slider.oninput = cut;
  cut();
  return el("div", {}, el("div", { class: "compare-images" }, el("img", { id: "before", src: result.before, alt: "bicubic" }),
                          after),
            el("div", { class: "row" }, "bicubic", slider, `the run (x${result.scale})`));
}

function codedSideBySide(result) {
  const zoom = el("input", { id: "zoom", type: "range", min: 1, max: 8, value: 1 });
  const cells = [{ codec: "original", image: result.original }, ...result.rows].map(row =>
    el("figure", { class: "coded" }, el("div", { class: "zoomed" }, el("img", { src: row.image, alt: row.codec })),
       el("figcaption", {}, row.codec === "original" ? "original"
         : `${row.codec}: ${row.bytes.toLocaleString()} bytes, ${row.bits_per_dim.toFixed(3)} bits/dim, ${row.psnr.toFixed(2)} dB`)));
  const frames = cells.map(cell => cell.querySelector(".zoomed"));
  zoom.oninput = () => frames.forEach(frame => { frame.querySelector("img").style.width = `${100 * Number(zoom.value)}%`; });
  frames.forEach(frame => frame.addEventListener("scroll", () => frames.forEach(other => {
    if (other !== frame) { other.scrollLeft = frame.scrollLeft; other.scrollTop = frame.scrollTop; }
  })));
  const table = el("table", { id: "coded" }, el("thead", {}, el("tr", {}, ["codec", "setting", "bytes", "bits/dim", "PSNR dB"].map(c => el("th", {}, c)))),
    el("tbody", {}, result.rows.map(r => el("tr", {}, el("td", {}, r.codec), el("td", {}, r.setting),
      el("td", { class: "num" }, r.bytes.toLocaleString()), el("td", { class: "num" }, r.bits_per_dim.toFixed(3)),
      el("td", { class: "num" }, r.psnr.toFixed(2))))));
  return el("div", {}, table, el("div", { class: "row" }, "zoom (moves together)", zoom), el("div", { class: "row coded-row" }, cells));
}

function speaker(run) {
  const text = el("input", { id: "say-text", value: "The quick brown fox jumps over the lazy dog.", style: "width:30em" });
  const speed = el("input", { id: "say-speed", type: "number", value: 1, step: 0.1, min: 0.25, max: 4, style: "width:5em" });
  const status = el("span", { id: "say-status", class: "muted" });
  const audio = el("audio", { id: "said", controls: "" });
  const mel = el("img", { id: "mel", class: "picture", alt: "mel spectrogram" });
  async function say() {
    status.textContent = "speaking…"; status.className = "muted";
    try {
      const result = await post("/api/speak", { run: run.name, text: text.value, speed: Number(speed.value) });
      audio.src = result.audio; mel.src = result.mel;
      status.textContent = `${result.seconds.toFixed(2)} s of audio, real-time factor ${result.real_time_factor.toFixed(2)} (${result.vocoder})`;
    } catch (err) { status.textContent = err.message; status.className = "error"; }
  }
  return el("section", { class: "card" }, el("h2", {}, "Say a sentence"),
            el("div", { class: "row" }, text, "speed", speed, el("button", { id: "say", onclick: say }, "Say"), status),
            audio, el("br"), mel);
}

function evaluationCards(run) {
  if (!run.evaluation) return [el("section", { class: "card" }, el("h2", {}, "Evaluation"),
    el("p", { class: "muted" }, `Not evaluated yet: genlab evaluate ${run.name}`))];
  return run.evaluation.sections.map(section => el("section", { class: "card" },
    el("h2", {}, section.title),
    section.text.map(text => el("p", {}, text)),
    section.tables.map(table => el("table", {},
      el("thead", {}, el("tr", {}, table.columns.map(c => el("th", {}, c)))),
      el("tbody", {}, table.rows.map(row => el("tr", {}, row.map((cell, i) =>
        el("td", { class: i ? "num" : "" }, cell))))))),
    section.pictures.map(p => el("figure", {}, el("img", { class: "picture", src: fileUrl(run.name, p.path), alt: p.caption }),
                                  el("figcaption", { class: "muted" }, p.caption))),
    section.after.map(text => el("p", {}, text))));
}

function renderRun(run) {
  const headline = run.headline ? `${run.headline.label} ${figure(run.headline.value)}` : "not evaluated";
  const cards = [
    el("p", {}, el("a", { href: "#" }, "← all runs")),
    el("h1", {}, run.name),
    el("p", {}, `${run.family} on ${run.dataset} · ${run.steps ?? "?"} steps · ${(run.parameters || 0).toLocaleString()} parameters · `,
       el("strong", { id: "headline" }, headline)),
  ];
  if (run.capabilities.can_sample && ["image", "video", "tokens"].includes(run.modality)) cards.push(sampler(run));
  if (run.capabilities.has_latent && run.modality === "image") cards.push(interpolation(run));
  if (run.capabilities.has_latent_kl) cards.push(traversal(run));
  if (run.capabilities.can_upscale) cards.push(uploadCard(run, "Upscale your image", "/api/upscale", beforeAfter));
  if (run.capabilities.is_codec) cards.push(uploadCard(run, "Compress your image beside JPEG, JPEG 2000, WebP and AVIF",
    "/api/compress", codedSideBySide));
  if (run.capabilities.can_speak) cards.push(speaker(run));
  if (run.capabilities.can_decompose) cards.push(uploadCard(run, "Split your scene into slots", "/api/decompose",
    result => el("img", { id: "overview", class: "picture", src: result.overview, alt: "slots" })));
  cards.push(el("section", { class: "card" }, el("h2", {}, "Training"), curve(run.metrics)));
  cards.push(...evaluationCards(run));
  if (run.previews.length) {
    cards.push(el("section", { class: "card previews" }, el("h2", {}, "Previews during training"),
      run.previews.slice(-6).map(path => el("img", { src: fileUrl(run.name, path), alt: path, title: path }))));
  }
  cards.push(el("section", { class: "card" }, el("h2", {}, "Config"), el("pre", {}, JSON.stringify(run.config, null, 2))));
  view.replaceChildren(...cards);
}

function runPath(name) {
  return `/api/runs/${name.split("/").map(encodeURIComponent).join("/")}`;
}

// --- routing -------------------------------------------------------------------------------------------------

async function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  try {
    if (hash.startsWith("run=")) renderRun(await api(runPath(hash.slice(4))));
    else if (hash.startsWith("compare=")) {
      renderCompare(await Promise.all(hash.slice(8).split(",").slice(0, MAX_COMPARED).map(name => api(runPath(name)))));
    } else renderList(await api("/api/runs"));
  } catch (err) {
    view.replaceChildren(el("p", { class: "error" }, err.message), el("p", {}, el("a", { href: "#" }, "← all runs")));
  }
}

window.addEventListener("hashchange", route);
route();
