/* Mapas publicables del catastro (geo/mapas). Sin red y sin plugins: dibuja las capas desde
 * el JSON incrustado en la página, con popups y tooltips construidos con textContent (ningún
 * valor de los datos se interpreta como HTML), leyenda, buscador por código catastral, escala
 * métrica y pantalla completa. Expone window.catastro para las pruebas con navegador. */
(function () {
  "use strict";

  var NF2 = new Intl.NumberFormat("es-PE", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  var NF0 = new Intl.NumberFormat("es-PE", {maximumFractionDigits: 0});
  var NF3 = new Intl.NumberFormat("es-PE", {maximumFractionDigits: 3});
  var MAX_UNIDADES_POPUP = 30;

  function formato(v, fmt) {
    if (v === null || v === undefined || v === "") return "—";
    switch (fmt) {
      case "soles": return "S/ " + NF2.format(v);
      case "pct": return NF2.format(v) + " %";
      case "m": return NF2.format(v) + " m";
      case "m2": return NF2.format(v) + " m²";
      case "entero": return NF0.format(v);
      case "real": return NF3.format(v);
      default: return String(v);
    }
  }

  function el(tag, clase, texto) {
    var e = document.createElement(tag);
    if (clase) e.className = clase;
    if (texto !== undefined && texto !== null) e.textContent = String(texto);
    return e;
  }

  function tabla(capa, fila) {
    var t = el("table", "catastro-tabla");
    capa.campos.forEach(function (c, j) {
      var tr = el("tr");
      tr.appendChild(el("th", null, c[0]));
      tr.appendChild(el("td", null, formato(fila[j], c[1])));
      t.appendChild(tr);
    });
    return t;
  }

  // "#rrggbb" → "rgba(r, g, b, a)": la muestra de la leyenda con la opacidad del relleno
  function rgba(hex, alfa) {
    var n = parseInt(String(hex).slice(1, 7), 16);
    if (isNaN(n)) return hex;
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alfa + ")";
  }

  function normalizar(codigo) {
    return String(codigo || "").trim().toUpperCase();
  }

  function catastroMapa(mapa, grupos, datos) {
    var render = L.canvas({padding: 0.5, tolerance: 5});
    var capas = {};
    var indice = new Map();   // código normalizado → {capa, elemento, fila}
    var codigos = [];
    var resaltado = null;
    var popupBusqueda = L.popup({maxHeight: 340, maxWidth: 380, minWidth: 220, autoPan: false});

    function contenido(capa, i, fila) {
      var filas = capa.porElemento[i];
      var div = el("div", "catastro-popup");
      div.appendChild(el("div", "catastro-popup-titulo", capa.nombre));
      if (fila !== undefined && fila !== null) {
        if (filas.length > 1) {
          div.appendChild(el("div", "catastro-nota", "Unidad " + (filas.indexOf(fila) + 1) +
            " de " + filas.length + " en propiedad horizontal"));
        }
        div.appendChild(tabla(capa, capa.filas[fila]));
        return div;
      }
      if (filas.length > 1) {
        div.appendChild(el("div", "catastro-nota",
          "Propiedad horizontal: " + filas.length + " unidades"));
      }
      filas.slice(0, MAX_UNIDADES_POPUP).forEach(function (f) {
        div.appendChild(tabla(capa, capa.filas[f]));
      });
      if (filas.length > MAX_UNIDADES_POPUP) {
        div.appendChild(el("div", "catastro-nota", "… y " + (filas.length - MAX_UNIDADES_POPUP) +
          " unidades más: búsquelas por su código catastral."));
      }
      return div;
    }

    function tooltip(capa, i) {
      var filas = capa.porElemento[i];
      if (!filas.length) return el("span", null, capa.nombre);
      var texto = formato(capa.filas[filas[0]][0], capa.campos[0][1]);
      if (filas.length > 1) texto += " (+" + (filas.length - 1) + " unidades)";
      return el("span", null, texto);
    }

    function estilo(capa, clase) {
      var e = Object.assign({}, capa.estilo);
      var color = capa.colores.length ? capa.colores[clase < 0 ? capa.colores.length - 1 : clase]
                                      : (e.color || "#888888");
      if (capa.tipo === "linea") {
        e.color = color;
      } else {
        e.fillColor = e.fillColor || color;
        e.color = e.color || color;
      }
      e.renderer = render;
      return e;
    }

    datos.capas.forEach(function (capa) {
      var grupo = grupos[capa.id];
      capa.porElemento = capa.geom.map(function () { return []; });
      capa.filas.forEach(function (f, j) {
        var i = capa.elemento ? capa.elemento[j] : j;
        capa.porElemento[i].push(j);
      });
      var elementos = capa.geom.map(function (g, i) {
        var capaL = L.GeoJSON.geometryToLayer({type: "Feature", geometry: g, properties: {}},
                                              estilo(capa, capa.clase[i]));
        if (capa.estilo.interactive !== false) {
          capaL.bindPopup(function () { return contenido(capa, i); },
                          {maxHeight: 340, maxWidth: 380, minWidth: 220});
          capaL.bindTooltip(function () { return tooltip(capa, i); }, {sticky: true});
        }
        grupo.addLayer(capaL);
        return capaL;
      });
      capas[capa.id] = {grupo: grupo, elementos: elementos, datos: capa};
      if (capa.buscable) {
        capa.filas.forEach(function (f, j) {
          var k = normalizar(f[0]);
          indice.set(k, {capa: capa, elemento: capa.elemento ? capa.elemento[j] : j, fila: j});
          codigos.push(k);
        });
      }
    });
    codigos.sort();

    function encontrar(k) {
      if (indice.has(k)) return indice.get(k);
      var candidatos = sugerencias(k, 2);
      return candidatos.length === 1 ? indice.get(candidatos[0]) : null;
    }

    function sugerencias(k, max) {
      var lo = 0, hi = codigos.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (codigos[mid] < k) lo = mid + 1; else hi = mid; }
      var out = [];
      for (var i = lo; i < codigos.length && out.length < max && codigos[i].startsWith(k); i++) {
        out.push(codigos[i]);
      }
      return out;
    }

    function buscar(codigo) {
      var k = normalizar(codigo);
      var r = k ? encontrar(k) : null;
      if (!r) {
        mensaje.textContent = k ? "No se encontró el código «" + k + "»." : "Escriba un código.";
        return false;
      }
      var c = capas[r.capa.id];
      var capaL = c.elementos[r.elemento];
      if (!mapa.hasLayer(c.grupo)) mapa.addLayer(c.grupo);
      var limites = capaL.getBounds();
      mapa.fitBounds(limites, {maxZoom: 19, padding: [60, 60]});
      if (resaltado) mapa.removeLayer(resaltado);
      resaltado = L.GeoJSON.geometryToLayer(
        {type: "Feature", geometry: r.capa.geom[r.elemento], properties: {}},
        {color: "#00b7ff", weight: 4, fill: false, interactive: false, renderer: render}
      ).addTo(mapa);
      // una sola ventana para las búsquedas: se reutiliza en lugar de abrir otra
      popupBusqueda.setLatLng(limites.getCenter())
        .setContent(contenido(r.capa, r.elemento, r.fila));
      if (!mapa.hasLayer(popupBusqueda)) popupBusqueda.openOn(mapa);
      mensaje.textContent = "";
      return true;
    }

    // ---------------------------------------------------------------- controles
    mapa.attributionControl.setPrefix(false);
    mapa.attributionControl.addAttribution(datos.fuente);
    L.control.scale({metric: true, imperial: false, maxWidth: 200}).addTo(mapa);

    var cabecera = el("div", "catastro-cabecera");
    var enlace = el("a", "catastro-indice", "← Índice de mapas");
    enlace.href = datos.indice;
    cabecera.appendChild(enlace);
    cabecera.appendChild(el("div", "catastro-titulo", datos.titulo));
    cabecera.appendChild(el("div", "catastro-subtitulo", datos.subtitulo));
    L.DomEvent.disableClickPropagation(cabecera);
    mapa.getContainer().appendChild(cabecera);

    var mensaje = el("div", "catastro-mensaje");
    var Buscador = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var caja = el("form", "catastro-buscador leaflet-bar");
        var entrada = el("input");
        entrada.type = "search";
        entrada.placeholder = "Código catastral";
        entrada.setAttribute("aria-label", "Buscar predio por código catastral");
        var boton = el("button", null, "Buscar");
        boton.type = "submit";
        var lista = el("div", "catastro-sugerencias");
        caja.appendChild(entrada);
        caja.appendChild(boton);
        caja.appendChild(mensaje);
        caja.appendChild(lista);
        caja.addEventListener("submit", function (ev) {
          ev.preventDefault();
          lista.textContent = "";
          buscar(entrada.value);
        });
        entrada.addEventListener("input", function () {
          lista.textContent = "";
          var k = normalizar(entrada.value);
          if (k.length < 2) return;
          sugerencias(k, 8).forEach(function (s) {
            var b = el("button", "catastro-sugerencia", s);
            b.type = "button";
            b.addEventListener("click", function () {
              entrada.value = s;
              lista.textContent = "";
              buscar(s);
            });
            lista.appendChild(b);
          });
        });
        L.DomEvent.disableClickPropagation(caja);
        L.DomEvent.disableScrollPropagation(caja);
        return caja;
      }
    });
    if (codigos.length) new Buscador().addTo(mapa);

    var PantallaCompleta = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var caja = el("div", "leaflet-bar");
        var b = el("a", "catastro-pantalla");
        b.href = "#";
        // Ícono dibujado en SVG: un carácter como ⛶ no existe en todas las fuentes.
        b.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">' +
          '<path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="#333" ' +
          'stroke-width="2"/></svg>';
        b.title = "Pantalla completa";
        b.setAttribute("role", "button");
        L.DomEvent.on(b, "click", function (ev) {
          L.DomEvent.preventDefault(ev);
          if (document.fullscreenElement) document.exitFullscreen();
          else if (document.documentElement.requestFullscreen) {
            document.documentElement.requestFullscreen();
          }
        });
        caja.appendChild(b);
        return caja;
      }
    });
    new PantallaCompleta().addTo(mapa);
    document.addEventListener("fullscreenchange", function () { mapa.invalidateSize(); });

    var Leyenda = L.Control.extend({
      options: {position: "bottomright"},
      onAdd: function () {
        var caja = el("div", "catastro-leyenda");
        var titulo = el("button", "catastro-leyenda-boton", "Leyenda ▾");
        titulo.type = "button";
        var cuerpo = el("div", "catastro-leyenda-cuerpo");
        titulo.addEventListener("click", function () {
          var oculto = cuerpo.style.display === "none";
          cuerpo.style.display = oculto ? "" : "none";
          titulo.textContent = oculto ? "Leyenda ▾" : "Leyenda ▸";
        });
        caja.appendChild(titulo);
        caja.appendChild(cuerpo);
        datos.capas.slice().reverse().forEach(function (capa) {
          // una capa de un solo color no necesita título: basta su muestra con su nombre
          if (capa.leyenda.length) {
            cuerpo.appendChild(el("div", "catastro-leyenda-capa", capa.titulo_leyenda));
          }
          var items = capa.leyenda.length ? capa.leyenda : [[capa.nombre, capa.estilo.color]];
          items.forEach(function (it) {
            var fila = el("div", "catastro-leyenda-item");
            var muestra = el("span", "catastro-muestra" + (capa.tipo === "linea" ? " linea" : ""));
            muestra.style.background = (capa.estilo.fill === false) ? "transparent" :
              rgba(capa.estilo.fillColor || it[1], Math.max(capa.estilo.fillOpacity || 0.2, 0.25));
            muestra.style.borderColor = capa.tipo === "linea" ? it[1] : (capa.estilo.color || it[1]);
            fila.appendChild(muestra);
            fila.appendChild(el("span", null, it[0]));
            cuerpo.appendChild(fila);
          });
        });
        L.DomEvent.disableClickPropagation(caja);
        L.DomEvent.disableScrollPropagation(caja);
        return caja;
      }
    });
    new Leyenda().addTo(mapa);

    mapa.fitBounds(datos.encuadre);

    window.catastro = {
      mapa: mapa,
      capas: capas,
      buscar: buscar,
      unidades: codigos.length,
      // elementos de la capa dibujados en el mapa (agregados y proyectados por el renderer)
      contar: function (id) {
        var c = capas[id];
        return c ? c.elementos.filter(function (l) {
          return l._map === mapa && l._renderer && l._pxBounds !== undefined;
        }).length : 0;
      },
      elementoDe: function (codigo) {
        var r = indice.get(normalizar(codigo));
        return r ? capas[r.capa.id].elementos[r.elemento] : null;
      }
    };
    return window.catastro;
  }

  window.catastroMapa = catastroMapa;
})();
