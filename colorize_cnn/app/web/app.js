// colorize-cnn's page: open a photo, see it coloured, click to give colours (hints), download.
// Everything runs against this server's /api (colorize_cnn/serve.py); nothing is fetched from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const view = $("view");
const context = view.getContext("2d");
const state = {
  photo: null,          // the server's facts about the open photo (id, width, height, preview size, ...)
  hints: [],            // [{x, y, color, radius?}] in the full-size photo's pixels
  history: [],          // earlier hint lists, for Ctrl+Z
  selected: -1,
  result: null,         // ImageBitmap of the latest preview
  gray: null,           // ImageBitmap of the gray input
  pending: null,        // the next update to send once the one in flight is back
  inFlight: false,
  dragging: -1,
  opening: 0,           // counts photo openings: a preview asked for before one does not overwrite its message
};
window.colorizeTimings = [];  // ms from each change to its preview on screen (read by the browser test)

function say(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
  status.setAttribute("role", isError ? "alert" : "status");
}

async function check(response) {
  if (response.ok) return response;
  let message = `the server answered ${response.status}`;
  try { message = (await response.json()).error || message; } catch (error) { /* not JSON */ }
  const failure = new Error(message);
  failure.status = response.status;
  throw failure;
}

// the server's token, when it serves beyond this computer: from the URL it printed (?token=...)
const TOKEN = new URLSearchParams(window.location.search).get("token") || "";

function api(path, options = {}) {
  return fetch(path, {...options, headers: {...(options.headers || {}), "X-Colorize-Token": TOKEN}});
}

function post(path, body) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
    .then(check);
}

function slider(name) {
  return $(name).dataset.touched ? Number($(name).value) : null;  // null: the model's default
}

function request() {
  return {hints: state.hints, vividness: slider("vividness"), balance: slider("balance"), model: $("model").value};
}

// --- opening a photo ---------------------------------------------------------------------------

async function openPhoto(file) {
  if (!file) return;
  state.opening += 1;
  say(`Opening ${file.name}…`);
  const screen = Math.round(Math.min(window.screen.width * window.screen.height, 4e6) * (window.devicePixelRatio || 1));
  try {
    const response = await api(`/api/photos?screen=${screen}&name=${encodeURIComponent(file.name)}`,
                                 {method: "POST", body: file}).then(check);
    state.photo = await response.json();
    state.hints = [];
    state.history = [];
    state.selected = -1;
    state.gray = await createImageBitmap(await (await api(`/api/photos/${state.photo.id}/gray`).then(check)).blob());
    view.width = state.photo.preview_width;
    view.height = state.photo.preview_height;
    $("placeholder").hidden = true;
    fitView();
    fillModels();
    for (const name of ["vividness", "balance"]) if (!$(name).dataset.touched) showSlider(name, state.photo[name]);
    renderHints();
    await update(performance.now());
    say(`${file.name}: ${state.photo.width} x ${state.photo.height}` +
        (state.photo.was_colour ? " (a colour photo: turned to gray first)." : "."));
  } catch (error) {
    say(`Cannot open ${file.name}: ${error.message}`, true);
  }
}

function fillModels() {
  const select = $("model");
  select.innerHTML = "";
  for (const name of state.photo.models) {
    const option = document.createElement("option");
    option.value = option.textContent = name;
    select.appendChild(option);
  }
  select.value = state.photo.model;
}

// --- the preview --------------------------------------------------------------------------------

async function update(startedAt = performance.now()) {
  if (!state.photo) return;
  if (state.inFlight) { state.pending = startedAt; return; }  // coalesce: only the latest matters
  state.inFlight = true;
  const opening = state.opening;
  try {
    const response = await post(`/api/photos/${state.photo.id}/preview`, request());
    state.result = await createImageBitmap(await response.blob());
    draw();
    const elapsed = performance.now() - startedAt;
    window.colorizeTimings.push(elapsed);
    if (opening === state.opening) {  // else a photo being opened (or its error) has the status line
      say(`Updated in ${Math.round(elapsed)} ms (${state.hints.length} hint${state.hints.length === 1 ? "" : "s"}).`);
    }
  } catch (error) {
    if (error.status === 404) { state.photo = null; }
    say(error.message, true);
  } finally {
    state.inFlight = false;
    if (state.pending !== null) { const next = state.pending; state.pending = null; update(next); }
  }
}

function fitView() {  // as large as the stage's width and the window's height allow, aspect kept
  if (!state.photo) return;
  const room = Math.max(100, window.innerHeight - $("stage").getBoundingClientRect().top - 16);
  const zoom = Math.min($("stage").clientWidth / view.width, room / view.height);
  view.style.width = `${Math.floor(view.width * zoom)}px`;
  view.style.height = `${Math.floor(view.height * zoom)}px`;
}
window.addEventListener("resize", fitView);

function scale() { return state.photo ? view.width / state.photo.width : 1; }

function draw() {
  const image = $("show-gray").checked ? state.gray : state.result;
  if (image) context.drawImage(image, 0, 0, view.width, view.height);
  if ($("show-gray").checked) return;
  state.hints.forEach((hint, index) => {
    context.beginPath();
    context.arc(hint.x * scale(), hint.y * scale(), index === state.selected ? 8 : 6, 0, 2 * Math.PI);
    context.fillStyle = hint.color;
    context.fill();
    context.lineWidth = 2;
    context.strokeStyle = index === state.selected ? "#ffd866" : "white";
    context.stroke();
  });
}

// --- hints ------------------------------------------------------------------------------------

function remember() { state.history.push(JSON.stringify(state.hints)); }

function change(mutate, startedAt = performance.now()) {
  remember();
  mutate();
  if (state.hints.length && !state.photo.takes_hints_models.includes($("model").value)) {
    $("model").value = state.photo.takes_hints_models[0];  // hints need the hint model
  }
  renderHints();
  draw();
  update(startedAt);
}

function undo() {
  if (!state.history.length) return;
  state.hints = JSON.parse(state.history.pop());
  state.selected = Math.min(state.selected, state.hints.length - 1);
  renderHints();
  draw();
  update();
  say("Undone.");
}

function photoPoint(event) {
  const box = view.getBoundingClientRect();
  const x = (event.clientX - box.left) * (view.width / box.width) / scale();
  const y = (event.clientY - box.top) * (view.height / box.height) / scale();
  return {x: Math.min(Math.max(x, 0), state.photo.width - 0.5), y: Math.min(Math.max(y, 0), state.photo.height - 0.5)};
}

function hintAt(point) {
  const reach = 10 / scale();
  return state.hints.findIndex((hint) => Math.hypot(hint.x - point.x, hint.y - point.y) <= reach);
}

function renderHints() {
  const list = $("hints");
  list.innerHTML = "";
  state.hints.forEach((hint, index) => {
    const item = document.createElement("li");
    item.className = index === state.selected ? "selected" : "";
    const colour = document.createElement("input");
    colour.type = "color";
    colour.value = hint.color;
    colour.setAttribute("aria-label", `Colour of hint ${index + 1}`);
    colour.addEventListener("focus", () => select(index));
    colour.addEventListener("input", (event) => change(() => { state.hints[index].color = event.target.value; }));
    const coordinates = ["x", "y"].map((axis) => {
      const field = document.createElement("input");
      field.type = "number";
      field.value = Math.round(hint[axis]);
      field.setAttribute("aria-label", `${axis} of hint ${index + 1} (photo pixels)`);
      field.addEventListener("change", (event) => change(() => { state.hints[index][axis] = Number(event.target.value); }));
      return field;
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", `Remove hint ${index + 1}`);
    remove.addEventListener("click", () => change(() => {
      state.hints.splice(index, 1);
      state.selected = -1;
    }));
    item.append(colour, ...coordinates, remove);
    list.appendChild(item);
  });
}

async function suggestions(point, others) {
  const response = await post(`/api/photos/${state.photo.id}/suggest`,
                              {x: point.x, y: point.y, k: 8, hints: others, model: state.photo.takes_hints_models[0]});
  return (await response.json()).colours;
}

async function select(index, colours = null) {
  state.selected = index;
  renderHints();
  draw();
  const box = $("suggestions");
  box.innerHTML = "";
  if (index < 0 || !state.photo) return;
  const hint = state.hints[index];
  try {
    colours = colours || await suggestions(hint, state.hints.filter((_, other) => other !== index));
    for (const suggestion of colours) {
      const swatch = document.createElement("button");
      swatch.type = "button";
      swatch.style.background = suggestion.color;
      const percent = Math.round(100 * suggestion.probability);
      swatch.title = `${suggestion.color} (${percent}%)`;
      swatch.setAttribute("aria-label", `Use ${suggestion.color} for hint ${index + 1} (the model gives it ${percent}%)`);
      swatch.addEventListener("click", () => change(() => { state.hints[index].color = suggestion.color; }));
      box.appendChild(swatch);
    }
  } catch (error) {
    say(error.message, true);
  }
}

view.addEventListener("mousedown", async (event) => {
  if (!state.photo || $("show-gray").checked) return;
  const point = photoPoint(event);
  const index = hintAt(point);
  if (index >= 0) {
    remember();
    state.dragging = index;
    select(index);
    return;
  }
  // a new hint starts at the model's top suggestion there (given the other hints), not at gray
  const startedAt = performance.now();
  const hint = {x: Math.round(point.x), y: Math.round(point.y), color: "#808080"};
  let colours = null;
  try {
    colours = await suggestions(hint, state.hints);
    hint.color = colours[0].color;
  } catch (error) {
    say(error.message, true);
  }
  change(() => { state.hints.push(hint); }, startedAt);
  select(state.hints.length - 1, colours);
});

view.addEventListener("mousemove", (event) => {
  if (state.dragging < 0) return;
  const point = photoPoint(event);
  state.hints[state.dragging].x = Math.round(point.x);
  state.hints[state.dragging].y = Math.round(point.y);
  draw();
});

window.addEventListener("mouseup", () => {
  if (state.dragging < 0) return;
  state.dragging = -1;
  renderHints();
  update();
});

// --- controls ---------------------------------------------------------------------------------

function showSlider(name, value) {
  $(name).value = value;
  $(`${name}-value`).textContent = Number(value).toFixed(2);
}

$("photo-file").addEventListener("change", (event) => openPhoto(event.target.files[0]));
$("show-gray").addEventListener("change", draw);
for (const name of ["vividness", "balance"]) {
  $(name).addEventListener("input", (event) => {
    event.target.dataset.touched = "yes";
    showSlider(name, event.target.value);
    update();
  });
}
$("model").addEventListener("change", () => {
  if (state.hints.length && !state.photo.takes_hints_models.includes($("model").value)) {
    say("That model takes no hints: remove the hints to use it.", true);
    $("model").value = state.photo.takes_hints_models[0];
    return;
  }
  update();
});
$("clear-hints").addEventListener("click", () => change(() => { state.hints = []; state.selected = -1; }));

function saveBlob(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

$("save-hints").addEventListener("click", () => {
  saveBlob(new Blob([JSON.stringify(state.hints, null, 1)], {type: "application/json"}), "hints.json");
});

$("hints-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file || !state.photo) { say("Open a photo before loading its hints.", true); return; }
  try {
    const hints = JSON.parse(await file.text());
    if (!Array.isArray(hints)) throw new Error('a hints file holds a list of {"x", "y", "color"} objects');
    change(() => { state.hints = hints; state.selected = -1; });
    say(`Loaded ${hints.length} hints from ${file.name}.`);
  } catch (error) {
    say(`Cannot load ${file.name}: ${error.message}`, true);
  }
});

async function download(format) {
  if (!state.photo) { say("Open a photo first.", true); return; }
  say(`Making the full-size ${format.toUpperCase()}…`);
  const startedAt = performance.now();
  try {
    const response = await post(`/api/photos/${state.photo.id}/download`, {...request(), format});
    saveBlob(await response.blob(), `colorized.${format === "jpeg" ? "jpg" : "png"}`);
    window.lastDownloadMs = performance.now() - startedAt;
    say(`Downloaded (${Math.round(window.lastDownloadMs)} ms).`);
  } catch (error) {
    say(error.message, true);
  }
}
$("download-png").addEventListener("click", () => download("png"));
$("download-jpeg").addEventListener("click", () => download("jpeg"));

document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); undo(); }
  if (event.key === "Delete" && state.selected >= 0 && document.activeElement === view) {
    change(() => { state.hints.splice(state.selected, 1); state.selected = -1; });
  }
});

document.addEventListener("dragover", (event) => { event.preventDefault(); document.body.classList.add("dragging"); });
document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
document.addEventListener("drop", (event) => {
  event.preventDefault();
  document.body.classList.remove("dragging");
  openPhoto(event.dataTransfer.files[0]);
});
