/**
 * The nginx server block that serves a PHP document root through php-fpm,
 * shared by the compose stack and `stage --local`.
 */
export interface NginxServerOptions {
  /** `listen` argument, e.g. `80` or `127.0.0.1:8080`. */
  readonly listen: string;
  readonly root: string;
  /** `fastcgi_pass` argument, e.g. `php-fpm:9000` or `unix:/tmp/x/php-fpm.sock`. */
  readonly fastcgiPass: string;
  readonly indent?: string;
  /** The fastcgi_params file to include (relative to nginx's conf dir, or absolute). */
  readonly fastcgiParams?: string;
}

export const NGINX_HEALTH_PATH = '/tracekit-nginx-health';

export function nginxServerBlock(o: NginxServerOptions): string {
  const i = o.indent ?? '';
  const lines = [
    'server {',
    `    listen ${o.listen};`,
    '    server_name _;',
    `    root ${o.root};`,
    '    index index.php;',
    '    server_tokens off;',
    `    location = ${NGINX_HEALTH_PATH} {`,
    '        access_log off;',
    '        default_type text/plain;',
    '        return 200 "ok\\n";',
    '    }',
    '    location ~ [^/]\\.php(/|$) {',
    '        fastcgi_split_path_info ^(.+?\\.php)(/.*)$;',
    '        try_files $fastcgi_script_name =404;',
    `        include ${o.fastcgiParams ?? 'fastcgi_params'};`,
    '        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;',
    '        fastcgi_param PATH_INFO $fastcgi_path_info;',
    // The bootstrap names the root span after the request; nginx's own
    // fastcgi_params already carries REQUEST_URI, REQUEST_METHOD and the rest.
    `        fastcgi_pass ${o.fastcgiPass};`,
    '    }',
    '}',
  ];
  return lines.map((l) => `${i}${l}`).join('\n') + '\n';
}
