namespace ChatOpsBot.Features.Web;

/// <summary>The console's one stylesheet, inlined under the page's nonce: light and dark, readable on a phone.</summary>
internal static class ConsoleStyle
{
    public const string Css = """
        :root{--bg:#f6f7f9;--fg:#14171a;--muted:#59636e;--card:#fff;--line:#d6dbe0;--accent:#0b5cad;--accent-fg:#fff;--warn:#8a5300;--warn-bg:#fff4e0;--bad:#a4161a;--bad-bg:#fde8e8;--ok:#1e6b34}
        @media (prefers-color-scheme:dark){:root{--bg:#111417;--fg:#e8ebee;--muted:#a3adb8;--card:#1b1f24;--line:#343b43;--accent:#6cb2ff;--accent-fg:#0b1220;--warn:#f2c14e;--warn-bg:#3a2d0c;--bad:#ff8a8a;--bad-bg:#3d1518;--ok:#7bd88f}}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
        a{color:var(--accent)}
        .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:4px 8px}
        .bar{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:10px 16px;background:var(--card);border-bottom:1px solid var(--line)}
        .brand{font-weight:700;text-decoration:none;color:var(--fg)}
        nav{display:flex;flex-wrap:wrap;gap:4px 14px}
        .signout{margin-left:auto;display:flex;gap:8px;align-items:center}
        .who{color:var(--muted)}
        main{max-width:980px;margin:0 auto;padding:16px}
        h1{font-size:1.6rem;margin:.4em 0}
        h2{font-size:1.2rem;margin:1.2em 0 .4em}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:12px 0}
        .muted{color:var(--muted)}
        button,.button{display:inline-block;font:inherit;padding:8px 14px;border-radius:8px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);text-decoration:none;cursor:pointer}
        button.secondary,.button.secondary{background:transparent;color:var(--accent)}
        button.danger{background:var(--bad);border-color:var(--bad);color:var(--accent-fg)}
        input,select,textarea{font:inherit;padding:7px 9px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);max-width:100%}
        label{display:block;margin:.6em 0 .2em;font-weight:600}
        table{width:100%;border-collapse:collapse}
        th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        .table{overflow-x:auto}
        .warn{color:var(--warn);background:var(--warn-bg);border-radius:6px;padding:1px 6px}
        .bad{color:var(--bad);background:var(--bad-bg);border-radius:6px;padding:1px 6px}
        .ok{color:var(--ok)}
        .notice{border-left:4px solid var(--accent);padding:8px 12px;background:var(--card)}
        .error{border-left:4px solid var(--bad);padding:8px 12px;background:var(--bad-bg)}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
        pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);border:1px solid var(--line);padding:8px;border-radius:6px}
        img.icon{border-radius:22%}
        .build-head{display:flex;gap:14px;align-items:center}
        dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0}dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
        @media (max-width:520px){dl.meta{grid-template-columns:1fr}dl.meta dd{margin-bottom:6px}}
        label.check{font-weight:400;display:flex;gap:8px;align-items:center}
        .drop{border:2px dashed var(--line);border-radius:10px;padding:18px;text-align:center}.drop.over{border-color:var(--accent);background:var(--bg)}
        progress{width:100%;height:14px}
        img.qr{background:#fff;padding:8px;border-radius:8px;max-width:100%;height:auto}
        .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        .try-row{display:flex;gap:8px;flex-wrap:wrap}.try-row input{flex:1 1 16em;min-width:0}
        .previews{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr));gap:12px}
        .preview h2{margin-top:0}
        .chat-message{border-left:4px solid var(--line);padding:4px 0 4px 12px;overflow-wrap:anywhere}
        .slack .chat-message{border-left-color:#611f69;font-family:Lato,system-ui,sans-serif}
        .teams .chat-message{border-left-color:#5b5fc7;border-radius:4px;background:var(--bg);padding:10px 12px;font-family:"Segoe UI",system-ui,sans-serif}
        .chat-from{margin:0 0 6px}
        .chat-header{font-size:1.1rem;font-weight:700;margin:6px 0}
        .chat-text{white-space:pre-line;margin:6px 0}
        .chat-text.subtle{color:var(--muted);font-size:.9em}
        .chat-text.warning{color:var(--warn)}
        .chat-fields{display:grid;grid-template-columns:repeat(auto-fit,minmax(10em,1fr));gap:6px 16px;margin:6px 0}
        .chat-fields dt{font-weight:700}.chat-fields dd{margin:0}
        .chat-item{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start;justify-content:space-between;border-top:1px solid var(--line);padding:6px 0}
        .chat-item-body{flex:1 1 14em;min-width:0}
        .chat-buttons{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
        .chat-action{margin:0}
        .chat-image{display:block;max-width:100%;height:auto;margin:6px 0;background:#fff}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}.facts div{display:contents}.facts dt{font-weight:600}.facts dd{margin:0;overflow-wrap:anywhere}
        .finding-list{list-style:none;padding:0;margin:0}.finding{padding:6px 0;border-top:1px solid var(--line);overflow-wrap:anywhere}.finding:first-child{border-top:0}
        .finding .check{display:inline-block;min-width:14em}
        .confirm{border-color:var(--bad)}
        .last-error{overflow-wrap:anywhere;max-width:28em}
        """;
}
