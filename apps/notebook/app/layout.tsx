import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { SettingsProvider } from '../components/settings-context.tsx';
import './globals.css';

export const metadata: Metadata = {
  title: 'imagen-ts notebook',
  description: 'Reproducible text-to-image notebooks on the imagen-ts cascade',
  referrer: 'no-referrer',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SettingsProvider>
          <header className="topbar">
            <Link href="/" className="brand">
              imagen-ts notebook
            </Link>
            <nav aria-label="Main">
              <Link href="/">Notebooks</Link>
              <Link href="/settings">Settings</Link>
            </nav>
          </header>
          <main>{children}</main>
        </SettingsProvider>
      </body>
    </html>
  );
}
